/* The frame painter: a frame's pixels painted in the browser, from batches fetched ahead.
 *
 * Asking Dash for every frame and letting Plotly redraw the heatmap cost ~90 ms a step here
 * (dash-renderer ~19 ms, Plotly's full heatmap redraw ~25 ms, the round trip, then paint). So
 * the page fetches batches of frames from `/frames/<file id>` (view/frame_source.py) and
 * paints the selected frame itself: its pixels go through the view's colour scale into a
 * canvas one pixel per CCD pixel, held in the heatmap's own SVG layer above Plotly's image, so
 * the aperture outline stays on top and hover and clicks still reach Plotly.
 *
 * The painter only paints what it is told to (`show`); which frame that is, and what the
 * readout says, belong to the view module (assets/view.js), which hears of each paint through
 * `onPaint(frame, readoutValues)`.
 */
(function (root, factory) {
  const api = factory(root);
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.tpf = root.tpf || {}).frames = api;
})(typeof self !== "undefined" ? self : this, function (root) {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";

  /* A batch (little-endian): uint32 header length, the JSON header, float32 pixels. */
  function parseBatch(buffer) {
    const view = new DataView(buffer);
    const length = view.getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
    const [rows, columns] = header.shape;
    header.rows = rows;
    header.columns = columns;
    header.pixels = new Float32Array(buffer, 4 + length, header.count * rows * columns);
    return header;
  }

  function parseColour(text) {
    if (text[0] === "#") {
      const hex = text.length === 4 ? text.replace(/#(.)(.)(.)/, "#$1$1$2$2$3$3") : text;
      return [1, 3, 5].map(function (i) { return parseInt(hex.substr(i, 2), 16); });
    }
    return text.replace(/[^\d.,]/g, "").split(",").slice(0, 3).map(Number);
  }

  /* A colour scale's stops: positions in [0, 1] and their [r, g, b]. */
  function colourStops(colorscale) {
    return colorscale.map(function (s) { return [Number(s[0]), parseColour(s[1])]; });
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

  /* RGBA of one frame (row 0 of the stamp at the bottom unless flipY is false); NaN pixels
   * stay transparent, so "no data" is not mistaken for faint. */
  function frameImage(pixels, offset, rows, columns, levels, stops, flipX, flipY, out) {
    const low = levels[0], scale = 1 / ((levels[1] - levels[0]) || 1);
    for (let i = 0; i < rows; i++) {
      const line = flipY ? rows - 1 - i : i;
      for (let j = 0; j < columns; j++) {
        const value = pixels[offset + i * columns + j];
        const at = 4 * (line * columns + (flipX ? columns - 1 - j : j));
        if (value !== value) { out[at + 3] = 0; continue; }
        colour(stops, (value - low) * scale, out, at);
        out[at + 3] = 255;
      }
    }
    return out;
  }

  /* Which batches to drop to stay under keepBytes: the farthest from `here` first. */
  function batchesToForget(batches, here, keepBytes) {
    let bytes = batches.reduce(function (sum, b) { return sum + b.pixels.byteLength; }, 0);
    const order = batches.slice().sort(function (a, b) {
      return Math.abs(b.first - here) - Math.abs(a.first - here);
    });
    const drop = [];
    for (const batch of order) {
      if (bytes <= keepBytes) break;
      drop.push(batch.first);
      bytes -= batch.pixels.byteLength;
    }
    return drop;
  }

  /* -- the painter in the page ---------------------------------------------------------- */
  const painter = {
    source: null,       // the frame-source store: {url, file, batch, frames, mode, colorscale, ...}
    batches: new Map(), // first frame -> a parsed batch, or the Promise of one
    want: null,         // the frame the view has selected
    painted: null,      // the frame on screen (null: Plotly's own image is what shows)
    paintedAt: 0,
    stops: null,
    stopsKey: null,
    keepBytes: 64 * 1048576,
    onPaint: function () {},
    onError: function () {},
  };

  function adapter() { return root.tpf.plotly; }

  function batchStart(frame) {
    const size = painter.source.batch;
    return frame - (frame % size);
  }

  /* The batch holding `first`, fetched once; a Promise while on its way. */
  function load(first) {
    const known = painter.batches.get(first);
    if (known) return Promise.resolve(known);
    const source = painter.source;
    const request = root.fetch(source.url + "&start=" + first + "&count=" + source.batch)
      .then(function (response) {
        if (response.ok) return response.arrayBuffer();
        return response.json().then(function (body) { throw new Error(body.message); });
      })
      .then(function (buffer) {
        const batch = parseBatch(buffer);
        if (painter.source === source) {
          painter.batches.set(first, batch);
          forget();
        }
        return batch;
      }, function (error) {
        if (painter.source === source) painter.batches.delete(first);
        painter.onError(error.message || "The frames could not be loaded.");
        throw error;
      });
    painter.batches.set(first, request);
    return request;
  }

  function forget() {
    const ready = Array.from(painter.batches.values()).filter(function (b) { return b.pixels; });
    for (const first of batchesToForget(ready, painter.want || 0, painter.keepBytes)) {
      painter.batches.delete(first);
    }
  }

  function readyBatch(frame) {
    const batch = painter.batches.get(batchStart(frame));
    return batch && batch.pixels ? batch : null;
  }

  /* The first frames of the batches to have for showing `frame` of a source of `frames`
   * frames in batches of `size`: its own, the next, and the one before when `frame` sits in
   * the first half of its own. None for a frame the source does not have: a new file's
   * source arrives while the old file's frame is still wanted, and the view's owner then
   * asks for one inside it. */
  function batchesFor(frame, size, frames) {
    if (!(frame >= 0 && frame < frames)) return [];
    const first = frame - (frame % size);
    const out = [first];
    if (first + size < frames) out.push(first + size);
    if (first > 0 && frame - first < size / 2) out.push(first - size);
    return out;
  }

  /* Show `frame`: at once when its batch is here, else as soon as it arrives (unless another
   * frame has been selected meanwhile). The batches either side are fetched ahead. */
  function show(frame) {
    painter.want = frame;
    if (!painter.source || frame === null || frame === undefined) return;
    const wanted = batchesFor(frame, painter.source.batch, painter.source.frames);
    if (!wanted.length) return;
    const batch = readyBatch(frame);
    if (batch) {
      if (frame !== painter.painted) paint(frame, batch);
    } else {
      load(wanted[0]).then(function (b) {
        if (painter.want === frame) paint(frame, b);
      }, function () {});
    }
    for (const first of wanted.slice(1)) load(first).catch(function () {});
  }

  /* The canvas in the heatmap's layer, created (again) when Plotly has rebuilt the layer. */
  function holder(gd) {
    const layer = adapter().heatmapLayer(gd);
    if (!layer) return null;
    let box = layer.querySelector("foreignObject.tpf-frame");
    if (!box) {
      box = root.document.createElementNS(SVG, "foreignObject");
      box.setAttribute("class", "tpf-frame");
      box.style.pointerEvents = "none";
      const canvas = root.document.createElement("canvas");
      canvas.className = "tpf-frame-canvas";
      box.appendChild(canvas);
      layer.appendChild(box);
    }
    return box;
  }

  /* Whether the heatmap on the page is the source's file (a new file's figure can arrive
   * before or after its frame source). */
  function sameFile(gd) {
    const meta = adapter().heatmapFrame(gd);
    return !!meta && meta.file === painter.source.file;
  }

  function hide() {
    const gd = adapter().graph("pixels");
    const box = gd && gd.querySelector("foreignObject.tpf-frame");
    if (box) box.style.display = "none";
    painter.painted = null;
  }

  function stopsOf(colorscale) {
    const key = JSON.stringify(colorscale);
    if (painter.stopsKey !== key) {
      painter.stops = colourStops(colorscale);
      painter.stopsKey = key;
    }
    return painter.stops;
  }

  function paint(frame, batch) {
    const plot = adapter(), gd = plot.graph("pixels");
    if (!plot.ready(gd)) return false;
    if (!sameFile(gd)) { hide(); return false; }
    const box = holder(gd);
    if (!box) return false;
    const { rows, columns } = batch;
    const where = plot.heatmapBox(gd, rows, columns);
    box.setAttribute("x", where.x);
    box.setAttribute("y", where.y);
    box.setAttribute("width", where.width);
    box.setAttribute("height", where.height);
    const canvas = box.firstChild;
    if (canvas.width !== columns || canvas.height !== rows) {
      canvas.width = columns;
      canvas.height = rows;
    }
    const context = canvas.getContext("2d");
    const image = context.createImageData(columns, rows);
    const index = frame - batch.first;
    const source = painter.source;
    const levels = batch.levels ? batch.levels[index] : [source.zmin, source.zmax];
    frameImage(batch.pixels, index * rows * columns, rows, columns, levels,
               stopsOf(source.colorscale), where.flipX, where.flipY, image.data);
    context.putImageData(image, 0, 0);
    box.style.display = "";
    box.dataset.frame = String(frame);
    box.dataset.mode = source.mode;
    painter.painted = frame;
    painter.paintedAt = root.performance.now();
    painter.onPaint(frame, batch.readouts[index]);
    root.document.dispatchEvent(new root.CustomEvent("tpf-painted", { detail: { frame } }));
    return true;
  }

  function setSource(source) {
    const before = painter.source;
    painter.source = source || null;
    if (!source) { painter.batches.clear(); hide(); return; }
    if (!before || before.url !== source.url || before.batch !== source.batch) {
      painter.batches.clear();
      // The image on screen stays until the new source's is ready (no flash), unless the file
      // itself changed; either way it is no longer "painted" from the current source.
      const gd = adapter().graph("pixels");
      if (gd && adapter().ready(gd) && !sameFile(gd)) hide();
      painter.painted = null;
      show(painter.want);
    } else {
      repaint();  // the same frames in new colours (stretch, scale, colour map)
    }
  }

  /* After any Plotly redraw of the heatmap (zoom, a new figure): paint again, so the frame
   * stays in place and on top. */
  function repaint() {
    if (painter.want === null || !painter.source) return;
    const batch = readyBatch(painter.want);
    if (batch) paint(painter.want, batch);
    else show(painter.want);
  }

  return {
    // pure, for node's tests
    parseBatch, colourStops, colour, frameImage, batchesToForget, batchesFor,
    // the page's painter
    show, repaint, setSource,
    configure: function (options) {
      if (options.keepBytes) painter.keepBytes = options.keepBytes;
      if (options.onPaint) painter.onPaint = options.onPaint;
      if (options.onError) painter.onError = options.onError;
    },
    painted: function () { return painter.painted; },
    paintedAt: function () { return painter.paintedAt; },
    /* The values of the frame on screen (tests and benchmarks check them against the file). */
    paintedPixels: function () {
      const batch = painter.painted === null ? null : readyBatch(painter.painted);
      if (!batch) return null;
      const size = batch.rows * batch.columns, at = (painter.painted - batch.first) * size;
      return batch.pixels.subarray(at, at + size);
    },
    /* The frame source painted from: its mode and colours (tests compare them with Plotly's). */
    source: function () { return painter.source; },
  };
});
