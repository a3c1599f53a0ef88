/* The frame painter: each step's pixels painted in the browser, from batches fetched ahead.
 *
 * Asking Dash for every frame and letting Plotly redraw the heatmap cost ~90 ms a step here
 * (dash-renderer ~19 ms, Plotly's full heatmap redraw ~25 ms, the round trip, then paint). So
 * the page fetches batches of frames from `/frames/<file id>` (callbacks/frame_source.py) and
 * paints the selected frame itself: its pixels go through the view's colour scale into a canvas
 * one pixel per CCD pixel, held in the heatmap's own SVG layer above Plotly's image, so the
 * aperture outline stays on top and hover and clicks still reach Plotly. The readout's strings
 * come in the same batch, so the numbers always describe the frame on screen. When stepping
 * pauses, Plotly's heatmap is brought to the same frame through Dash (`frame-sync`), for hover
 * values and exports.
 */
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const KEEP_BYTES = 64 * 1048576;  // frames kept in the browser, nearest to the cursor first
  const SYNC_AFTER_MS = 250;
  const READOUT_IDS = ["readout-0", "readout-1", "readout-2", "readout-3", "readout-4",
                       "readout-note-0", "readout-note-4"];

  const painter = {
    source: null,       // the frame-source store: {url, batch, frames, mode, colorscale, zmin, zmax}
    batches: new Map(), // first frame -> a parsed batch, or the Promise of one
    want: null,         // the frame the page has selected
    painted: null,      // the frame on screen (null: Plotly's own image is what shows)
    paintedAt: 0,
    playing: false,
    syncTimer: null,
    syncCount: 0,
    stops: null,
    stopsKey: null,
  };

  function graphDiv(id) {
    const outer = document.getElementById(id);
    return outer && outer.querySelector(".js-plotly-plot");
  }

  function parse(buffer) {
    const view = new DataView(buffer);
    const length = view.getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
    const [rows, columns] = header.shape;
    header.rows = rows;
    header.columns = columns;
    header.pixels = new Float32Array(buffer, 4 + length, header.count * rows * columns);
    return header;
  }

  function say(text) {
    window.dash_clientside.set_props("message", { children: {
      type: "Div", namespace: "dash_html_components",
      props: { className: "error", children: text } } });
  }

  function batchStart(frame) {
    const size = painter.source.batch;
    return frame - (frame % size);
  }

  /* The batch holding `first`, fetched once; a Promise while on its way. */
  function load(first) {
    const known = painter.batches.get(first);
    if (known) return Promise.resolve(known);
    const source = painter.source;
    const request = fetch(source.url + "&start=" + first + "&count=" + source.batch)
      .then(function (response) {
        if (response.ok) return response.arrayBuffer();
        return response.json().then(function (body) { throw new Error(body.message); });
      })
      .then(function (buffer) {
        const batch = parse(buffer);
        if (painter.source === source) {
          painter.batches.set(first, batch);
          forget();
        }
        return batch;
      }, function (error) {
        if (painter.source === source) painter.batches.delete(first);
        say(error.message || "The frames could not be loaded; the view was left as it was.");
        throw error;
      });
    painter.batches.set(first, request);
    return request;
  }

  /* Keep the browser's copy bounded: drop the batches farthest from the selected frame. */
  function forget() {
    const ready = Array.from(painter.batches.values()).filter(function (b) { return b.pixels; });
    let bytes = ready.reduce(function (sum, b) { return sum + b.pixels.byteLength; }, 0);
    if (bytes <= KEEP_BYTES) return;
    const here = painter.want || 0;
    ready.sort(function (a, b) { return Math.abs(b.first - here) - Math.abs(a.first - here); });
    for (const batch of ready) {
      if (bytes <= KEEP_BYTES) break;
      painter.batches.delete(batch.first);
      bytes -= batch.pixels.byteLength;
    }
  }

  function readyBatch(frame) {
    const batch = painter.batches.get(batchStart(frame));
    return batch && batch.pixels ? batch : null;
  }

  /* Show `frame`: at once when its batch is here, else as soon as it arrives (unless another
   * frame has been selected meanwhile). The batches either side are fetched ahead. */
  function show(frame) {
    painter.want = frame;
    if (!painter.source || frame === null || frame === undefined) return;
    const batch = readyBatch(frame);
    if (batch) {
      if (frame !== painter.painted) paint(frame, batch);
    } else {
      load(batchStart(frame)).then(function (b) {
        if (painter.want === frame) paint(frame, b);
      }, function () {});
    }
    const size = painter.source.batch;
    const first = batchStart(frame);
    if (first + size < painter.source.frames) load(first + size).catch(function () {});
    if (first > 0 && frame - first < size / 2) load(first - size).catch(function () {});
  }

  function parseColour(text) {
    if (text[0] === "#") {
      const hex = text.length === 4 ? text.replace(/#(.)(.)(.)/, "#$1$1$2$2$3$3") : text;
      return [1, 3, 5].map(function (i) { return parseInt(hex.substr(i, 2), 16); });
    }
    return text.replace(/[^\d.,]/g, "").split(",").slice(0, 3).map(Number);
  }

  /* The colour scale's stops: positions in [0, 1] and their [r, g, b]. */
  function colourStops(colorscale) {
    const key = JSON.stringify(colorscale);
    if (painter.stopsKey !== key) {
      painter.stops = colorscale.map(function (s) { return [Number(s[0]), parseColour(s[1])]; });
      painter.stopsKey = key;
    }
    return painter.stops;
  }

  /* Write the colour of v (normalised to [0, 1], clipped) at out[at..at+2]: linear in each
   * channel between the two stops around it, as plotly.js colours its own heatmap. */
  function colour(stops, v, out, at) {
    if (v <= stops[0][0]) v = stops[0][0];
    const last = stops.length - 1;
    if (v >= stops[last][0]) v = stops[last][0];
    let lo = 0, hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (stops[mid][0] <= v) lo = mid; else hi = mid;
    }
    const t0 = stops[lo][0], t1 = stops[hi][0], c0 = stops[lo][1], c1 = stops[hi][1];
    const f = t1 > t0 ? (v - t0) / (t1 - t0) : 0;
    out[at] = c0[0] + f * (c1[0] - c0[0]);
    out[at + 1] = c0[1] + f * (c1[1] - c0[1]);
    out[at + 2] = c0[2] + f * (c1[2] - c0[2]);
  }

  /* The canvas in the heatmap's layer, created (again) when Plotly has rebuilt the layer. */
  function holder(gd) {
    const layer = gd.querySelector(".hm");
    if (!layer) return null;
    let box = layer.querySelector("foreignObject.tpf-frame");
    if (!box) {
      box = document.createElementNS(SVG, "foreignObject");
      box.setAttribute("class", "tpf-frame");
      box.style.pointerEvents = "none";
      const canvas = document.createElement("canvas");
      canvas.className = "tpf-frame-canvas";
      box.appendChild(canvas);
      layer.appendChild(box);
    }
    return box;
  }

  /* Whether the heatmap on the page is the source's file (a new file's figure can arrive
   * before its frame source). The pixel figure's uirevision is its file id. */
  function sameFile(gd) {
    const revision = gd.layout && gd.layout.uirevision;
    return !!revision && painter.source.url.indexOf("frames/" + revision + "?") === 0;
  }

  function hide() {
    const gd = graphDiv("pixels");
    const box = gd && gd.querySelector("foreignObject.tpf-frame");
    if (box) box.style.display = "none";
    painter.painted = null;
  }

  function paint(frame, batch) {
    const gd = graphDiv("pixels");
    if (!gd || !gd._fullLayout || !gd._fullData || !gd._fullData[0]) return false;
    if (!sameFile(gd)) { hide(); return false; }
    const box = holder(gd);
    if (!box) return false;
    const { rows, columns } = batch;
    const trace = gd._fullData[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const left = xa.c2p(trace.x0 - 0.5), right = xa.c2p(trace.x0 + columns - 0.5);
    const top = ya.c2p(trace.y0 + rows - 0.5), bottom = ya.c2p(trace.y0 - 0.5);
    box.setAttribute("x", Math.min(left, right));
    box.setAttribute("y", Math.min(top, bottom));
    box.setAttribute("width", Math.abs(right - left));
    box.setAttribute("height", Math.abs(bottom - top));
    const canvas = box.firstChild;
    if (canvas.width !== columns || canvas.height !== rows) {
      canvas.width = columns;
      canvas.height = rows;
    }
    const context = canvas.getContext("2d");
    const image = context.createImageData(columns, rows);
    const index = frame - batch.first;
    const levels = batch.levels ? batch.levels[index] : [painter.source.zmin, painter.source.zmax];
    const stops = colourStops(painter.source.colorscale);
    const low = levels[0], scale = 1 / ((levels[1] - levels[0]) || 1);
    const pixels = batch.pixels, offset = index * rows * columns, out = image.data;
    const flipY = top < bottom, flipX = left > right;  // row numbers grow upwards on screen
    for (let i = 0; i < rows; i++) {
      const line = flipY ? rows - 1 - i : i;
      for (let j = 0; j < columns; j++) {
        const value = pixels[offset + i * columns + j];
        const at = 4 * (line * columns + (flipX ? columns - 1 - j : j));
        if (value !== value) { out[at + 3] = 0; continue; }  // NaN: no data, left clear
        colour(stops, (value - low) * scale, out, at);
        out[at + 3] = 255;
      }
    }
    context.putImageData(image, 0, 0);
    box.style.display = "";
    box.dataset.frame = String(frame);
    box.dataset.mode = painter.source.mode;
    painter.painted = frame;
    painter.paintedAt = performance.now();
    writeReadout(batch.readouts[index]);
    scheduleSync();
    document.dispatchEvent(new CustomEvent("tpf-painted", { detail: { frame: frame } }));
    return true;
  }

  function writeReadout(values) {
    READOUT_IDS.forEach(function (id, i) {
      const el = document.getElementById(id);
      if (el && el.textContent !== values[i]) el.textContent = values[i];
    });
    const quality = document.getElementById("readout-field-4");
    if (quality && quality.className !== values[7]) quality.className = values[7];
  }

  /* The frame Plotly's heatmap holds (its trace meta, set by the server). */
  function plotlyFrame() {
    const gd = graphDiv("pixels");
    const meta = gd && gd.data && gd.data[0] ? gd.data[0].meta : undefined;
    return meta !== null && typeof meta === "object" ? meta.frame : meta;
  }

  function scheduleSync() {
    clearTimeout(painter.syncTimer);
    painter.syncTimer = setTimeout(function () {
      if (painter.playing || painter.painted === null) return;
      if (plotlyFrame() === painter.painted) return;
      window.dash_clientside.set_props("frame-sync", {
        data: { frame: painter.painted, request: ++painter.syncCount } });
    }, SYNC_AFTER_MS);
  }

  function setSource(source) {
    const before = painter.source;
    painter.source = source || null;
    if (!source) { painter.batches.clear(); hide(); return; }
    if (!before || before.url !== source.url || before.batch !== source.batch) {
      painter.batches.clear();
      // The image on screen stays until the new source's is ready (no flash), unless the file
      // itself changed; either way it is no longer "painted" from the current source.
      const gd = graphDiv("pixels");
      if (gd && !sameFile(gd)) hide();
      painter.painted = null;
      show(painter.want);
    } else {
      repaint();  // the same frames in new colours (stretch, scale)
    }
  }

  /* After any Plotly redraw of the heatmap (zoom, a new stretch, a new figure): paint again,
   * so our frame stays in place and on top. */
  function repaint() {
    if (painter.want === null || !painter.source) return;
    const batch = readyBatch(painter.want);
    if (batch) paint(painter.want, batch);
    else show(painter.want);
  }

  window.tpfFrames = {
    show: show,
    repaint: repaint,
    setSource: setSource,
    painted: function () { return painter.painted; },
    /* The values of the frame on screen (tests and benchmarks check them against the file). */
    paintedPixels: function () {
      const batch = painter.painted === null ? null : readyBatch(painter.painted);
      if (!batch) return null;
      const size = batch.rows * batch.columns, at = (painter.painted - batch.first) * size;
      return batch.pixels.subarray(at, at + size);
    },
    paintedAt: function () { return painter.paintedAt; },
    /* The frame source painted from: its mode and colours (tests compare them with Plotly's). */
    source: function () { return painter.source; },
    shown: function () { return painter.painted !== null ? painter.painted : plotlyFrame(); },
    setPlaying: function (playing) {
      painter.playing = playing;
      if (!playing) scheduleSync();
    },
  };
})();
