/* Uploads over the size cap are refused in the browser, before the file is read or sent. */
(function () {
  "use strict";
  /* Uploads over the size cap are refused here, before the browser reads or sends the file
   * (the server refuses oversized requests too, but could not name the file). */
  function refuseOversized(event) {
    const guard = event.target && event.target.closest && event.target.closest("[data-max-bytes]");
    if (!guard) return;
    const files = (event.dataTransfer && event.dataTransfer.files) || event.target.files;
    const limit = Number(guard.dataset.maxBytes);
    const big = files && Array.prototype.find.call(files, function (f) { return f.size > limit; });
    if (!big) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (event.target.value !== undefined && event.target.type === "file") event.target.value = "";
    const mb = function (n) { return (n / 1048576).toLocaleString(undefined, { maximumFractionDigits: 1 }); };
    // The browser's own message line (no Dash property: the server never heard of the file).
    const box = document.getElementById("browser-message");
    if (!box) return;
    box.textContent = "";
    const line = document.createElement("div");
    line.className = "error";
    line.id = "upload-refused";
    line.textContent = big.name + " is " + mb(big.size) + " MB, over the upload limit of " +
      mb(limit) + " MB. Run the dashboard locally with `python -m dashboard FILE` to open " +
      "larger files.";
    box.appendChild(line);
  }
  document.addEventListener("change", refuseOversized, true);
  document.addEventListener("drop", refuseOversized, true);
})();
