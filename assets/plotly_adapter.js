/* The one place that reads plotly.js internals (`_fullLayout`, `_fullData`, axis offsets).
 *
 * Everything else in assets/ asks this adapter where a time falls on the light curve, where
 * the heatmap's pixels are on screen, which frame Plotly's heatmap holds, and so on. Plotly's
 * private fields change between releases; when one does, this file is what changes.
 */
(function (root, factory) {
  const api = factory(root);
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.tpf = root.tpf || {}).plotly = api;
})(typeof self !== "undefined" ? self : this, function (root) {
  "use strict";

  /* The plot div of a dcc.Graph (the element plotly.js draws into), or null. */
  function graph(id) {
    const outer = root.document && root.document.getElementById(id);
    return outer ? outer.querySelector(".js-plotly-plot") : null;
  }

  function ready(gd) {
    return !!(gd && gd._fullLayout && gd._fullData && gd._fullLayout.xaxis && gd.on);
  }

  /* x values of a trace as plotly.js decoded them (typed arrays arrive as base64 specs). */
  function traceX(gd, trace) {
    const t = gd && gd._fullData && gd._fullData[trace];
    return t && t.x ? t.x : null;
  }

  function traceY(gd, trace) {
    const t = gd && gd._fullData && gd._fullData[trace];
    return t && t.y ? t.y : null;
  }

  /* The plot area in the graph div's pixels: {left, top, width, height}. */
  function plotArea(gd) {
    const layout = gd._fullLayout;
    return { left: layout.xaxis._offset, top: layout._size.t, width: layout.xaxis._length,
             height: layout._size.h };
  }

  /* Pixel offset of data value `x` inside the plot area along the x axis (NaN outside). */
  function xOffset(gd, x) {
    const xa = gd._fullLayout.xaxis;
    const px = xa.l2p(x);
    return isFinite(px) && px >= 0 && px <= xa._length ? px : NaN;
  }

  /* Pixel offset of `y` from the top of the plot area (NaN outside the y axis). */
  function yOffset(gd, y, axis) {
    const layout = gd._fullLayout, ya = layout[axis || "yaxis"];
    if (!ya) return NaN;
    const py = ya.l2p(y);
    return isFinite(py) && py >= 0 && py <= ya._length ? py + ya._offset - layout._size.t : NaN;
  }

  function xRange(gd) {
    const xa = gd && gd._fullLayout && gd._fullLayout.xaxis;
    return xa ? xa.range.slice() : null;
  }

  /* Where a heatmap of rows x columns pixels (trace 0, x0/y0 at the first pixel's centre)
   * lies in the subplot's SVG coordinates, and whether it is drawn flipped. */
  function heatmapBox(gd, rows, columns) {
    const trace = gd._fullData[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const left = xa.c2p(trace.x0 - 0.5), right = xa.c2p(trace.x0 + columns - 0.5);
    const top = ya.c2p(trace.y0 + rows - 0.5), bottom = ya.c2p(trace.y0 - 0.5);
    return { x: Math.min(left, right), y: Math.min(top, bottom),
             width: Math.abs(right - left), height: Math.abs(bottom - top),
             flipX: left > right, flipY: top < bottom };
  }

  /* The SVG layer plotly.js draws heatmaps into (the painter's canvas goes inside it). */
  function heatmapLayer(gd) {
    return gd.querySelector(".hm");
  }

  /* Which file and frame Plotly's heatmap holds (its trace meta, set by the server). */
  function heatmapFrame(gd) {
    const meta = gd && gd.data && gd.data[0] ? gd.data[0].meta : null;
    return meta && typeof meta === "object" ? meta : null;
  }

  function uirevision(gd) {
    return gd && gd.layout ? gd.layout.uirevision : undefined;
  }

  /* plotly.js keeps an axis's first range (what Reset axes returns to) and its constraint
   * bookkeeping across a new figure; on a square-pixel subplot a new stamp then inherits the
   * last one's ranges. Give the new figure's own ranges (layout.meta.ranges) back to it. */
  function freshAxes(gd) {
    const ranges = gd.layout && gd.layout.meta && gd.layout.meta.ranges;
    if (!ranges || !root.Plotly) return Promise.resolve(false);
    const full = gd._fullLayout;
    for (const [name, range] of [["xaxis", ranges.x], ["yaxis", ranges.y]]) {
      const ax = full[name];
      if (!ax) continue;
      delete ax._inputRange;
      ax._inputDomain = ((gd.layout[name] && gd.layout[name].domain) || [0, 1]).slice();
      ax._rangeInitial0 = range[0];
      ax._rangeInitial1 = range[1];
      ax._autorangeInitial = false;
    }
    return root.Plotly.relayout(gd, { "xaxis.range": ranges.x.slice(),
                                      "yaxis.range": ranges.y.slice() }).then(function () {
      return true;
    });
  }

  function relayout(gd, update) {
    return root.Plotly.relayout(gd, update);
  }

  function toImage(gd, options) {
    return root.Plotly.toImage(gd, options);
  }

  return { graph, ready, traceX, traceY, plotArea, xOffset, yOffset, xRange, heatmapBox,
           heatmapLayer, heatmapFrame, uirevision, freshAxes, relayout, toImage };
});
