/* "PNG of the view": both graphs as plotly.js draws them, side by side, the cursor in red, and
 * a caption band saying what they show (target, mission, frame and CADENCENO, UTC, stretch),
 * so an image passed around still says where it came from. Made in the browser from what is
 * on screen; the light-curve and movie files are made by the server (callbacks/exports.py).
 */
(function (root, factory) {
  const api = factory(root);
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.tpf = root.tpf || {}).exports = api.install(root);
})(typeof self !== "undefined" ? self : this, function (root) {
  "use strict";

  /* The caption's lines from what the page shows. */
  function captionLines(info) {
    const head = [info.mission, info.target, info.period].filter(Boolean).join(" · ");
    return [
      head + (info.filename ? "  (" + info.filename + ")" : ""),
      "frame " + info.frame + " (0-based) · CADENCENO " + info.cadence + " · " + info.time +
        " · UTC " + info.utc,
      "image: " + info.image + " · flux: " + info.flux + " (" + info.aperture + ")",
    ];
  }

  /* "EPIC_221312395_frame_638_cadence_125881.png": safe for any file system. */
  function fileName(info) {
    const stem = (info.target || "view") + "_frame_" + info.frame + "_cadence_" + info.cadence;
    return stem.replace(/[^A-Za-z0-9.-]+/g, "_") + ".png";
  }

  /* The image's own words: its stretch (flux) or its reference (difference). */
  function describeImage(state) {
    if (!state) return "";
    if (state.image === "difference") {
      return "difference, frame minus the median of " + state.n + " cadences either side (" +
        state.dcmap + ")";
    }
    return "flux, " + state.scale + " stretch " + state.low + "–" + state.high + " % (" +
      state.cmap + ")";
  }

  function install(win) {
    const doc = win.document;
    const BAND = 64, SCALE = 2;

    function textOf(selector) {
      const el = doc.querySelector(selector);
      return el ? el.textContent.trim() : "";
    }

    function info() {
      const view = win.tpf.view.owner();
      const store = win.tpf.viewState || {};
      return {
        mission: textOf("#header .mission"), target: textOf("#header .name"),
        period: textOf("#header .period"), filename: textOf("#header .filename"),
        frame: view ? view.state.frame : 0, cadence: textOf("#readout-cadence"),
        time: textOf("#readout-time"), utc: textOf("#readout-utc"),
        flux: textOf("#readout-flux"), aperture: textOf("#readout-flux-note"),
        image: describeImage(store.state),
      };
    }

    async function exportPng() {
      const plot = win.tpf.plotly;
      const graphs = ["lightcurve", "pixels"].map(plot.graph);
      const urls = await Promise.all(graphs.map(function (gd) {
        return plot.toImage(gd, { format: "png", width: gd.offsetWidth,
                                  height: gd.offsetHeight, scale: SCALE });
      }));
      const images = await Promise.all(urls.map(function (url) {
        return new Promise(function (resolve, reject) {
          const image = new win.Image();
          image.onload = function () { resolve(image); };
          image.onerror = reject;
          image.src = url;
        });
      }));
      const canvas = doc.createElement("canvas");
      canvas.width = images[0].width + images[1].width;
      canvas.height = Math.max(images[0].height, images[1].height) + BAND * SCALE;
      const context = canvas.getContext("2d");
      context.fillStyle = "white";
      context.fillRect(0, 0, canvas.width, canvas.height);
      const details = info();
      context.fillStyle = "#1b2330";
      context.font = (13 * SCALE) + "px sans-serif";
      captionLines(details).forEach(function (line, i) {
        context.fillText(line, 10 * SCALE, (18 + 18 * i) * SCALE);
      });
      const top = BAND * SCALE;
      context.drawImage(images[0], 0, top);
      context.drawImage(images[1], images[0].width, top);
      const gd = graphs[0], times = plot.traceX(gd, 0);
      if (times && details.frame < times.length) {
        const px = plot.xOffset(gd, times[details.frame]);
        if (isFinite(px)) {
          const area = plot.plotArea(gd), x = (area.left + px) * SCALE;
          context.strokeStyle = "red";
          context.lineWidth = 2 * SCALE;
          context.beginPath();
          context.moveTo(x, top + area.top * SCALE);
          context.lineTo(x, top + (area.top + area.height) * SCALE);
          context.stroke();
        }
      }
      const link = doc.createElement("a");
      link.download = fileName(details);
      link.href = canvas.toDataURL("image/png");
      doc.body.appendChild(link);
      link.click();
      doc.body.removeChild(link);
      const status = doc.getElementById("png-status");
      if (status) status.textContent = link.download + " saved.";
    }

    doc.addEventListener("click", function (event) {
      const target = event.target && event.target.closest && event.target.closest("#export-png");
      if (target) exportPng().catch(function (error) {
        const status = doc.getElementById("png-status");
        if (status) status.textContent = "The PNG could not be made: " + error.message;
      });
    });
    return { exportPng: exportPng, info: info };
  }

  return { captionLines, fileName, describeImage, install };
});
