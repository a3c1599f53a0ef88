/* Uploads: refused here when over their box's size cap; a TPF is then streamed to the server's
 * upload route.
 *
 * dcc.Upload would read the whole file into a base64 data URL and send it inside a callback's
 * JSON, which the server holds several times over (~6x the file). Instead the dropped or chosen
 * file is taken here, before dcc.Upload sees it, and POSTed as it is to `upload/tpf`
 * (dashboard/callbacks/upload_route.py), which writes it to disk as it arrives and answers a
 * small token; the token goes to the upload callback through `upload-tpf.contents` (that
 * callback, callbacks/files.py, opens the file and says what was wrong with a bad one). Only
 * the browser's own messages (over the cap, progress, a failed transfer) are written here, in
 * #browser-message, which no Dash callback writes. */
(function () {
  "use strict";
  const ROUTE = "upload/tpf";

  function mb(n) {
    return (n / 1048576).toLocaleString(undefined, { maximumFractionDigits: 1 });
  }

  /* The browser's own message line (no Dash property: the server may never hear of the file). */
  function say(text, kind, id) {
    const box = document.getElementById("browser-message");
    if (!box) return;
    box.textContent = "";
    if (!text) return;
    const line = document.createElement("div");
    line.className = kind;
    if (id) line.id = id;
    line.textContent = text;
    box.appendChild(line);
  }

  function send(file) {
    const request = new XMLHttpRequest();
    request.open("POST", ROUTE + "?name=" + encodeURIComponent(file.name));
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.upload.onprogress = function (event) {
      if (event.lengthComputable && event.total > 4 * 1048576) {
        say("Uploading " + file.name + ": " + mb(event.loaded) + " of " + mb(event.total) +
            " MB", "progress", "upload-progress");
      }
    };
    request.onload = function () {
      let body = {};
      try { body = JSON.parse(request.responseText); } catch (e) { body = {}; }
      if (request.status === 200 && body.token) {
        say("", "", "");
        window.dash_clientside.set_props("upload-tpf", { contents: body.token, filename: file.name });
      } else {
        say(body.message || (file.name + " could not be uploaded (HTTP " + request.status + ")."),
          "error", "upload-refused");
      }
    };
    request.onerror = function () {
      say(file.name + " could not be uploaded: the connection to the server failed.", "error",
        "upload-refused");
    };
    request.send(file);
  }

  function takeUpload(event) {
    const guard = event.target && event.target.closest && event.target.closest("[data-max-bytes]");
    if (!guard) return;
    const files = (event.dataTransfer && event.dataTransfer.files) || event.target.files;
    if (!files || !files.length) return;
    // Only the TPF box streams; another guarded box (your light curve) is only refused when
    // over its cap, and otherwise left to its dcc.Upload.
    const tpf = !!guard.querySelector("#upload-tpf");
    const streamed = tpf && !!(window.dash_clientside && window.dash_clientside.set_props);
    const limit = Number(guard.dataset.maxBytes);
    if (!streamed && files[0].size <= limit) return;  // dcc.Upload's own way
    event.preventDefault();
    event.stopImmediatePropagation();
    const file = files[0];
    if (event.target.value !== undefined && event.target.type === "file") event.target.value = "";
    if (file.size > limit) {  // refused before the browser reads or sends it
      say(file.name + " is " + mb(file.size) + " MB, over the upload limit of " + mb(limit) +
        " MB. Run the dashboard locally with `python -m dashboard FILE` to open larger files.",
        "error", "upload-refused");
      return;
    }
    send(file);
  }
  document.addEventListener("change", takeUpload, true);
  document.addEventListener("drop", takeUpload, true);
})();
