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
    window.dash_clientside.set_props("message", { children: {
      type: "Div", namespace: "dash_html_components",
      props: { className: "error", children: big.name + " is " + mb(big.size) +
        " MB, over the upload limit of " + mb(limit) + " MB. Run the dashboard locally with " +
        "`python -m dashboard FILE` to open larger files." } } });
  }
  document.addEventListener("change", refuseOversized, true);
  document.addEventListener("drop", refuseOversized, true);
})();
