/* The view's rules in the browser, as pure functions: stepping (with the quality mask's hidden
 * runs), which frame a click names, which keys belong to the page, the link's query and the
 * aperture's list of edits. Used by
 * assets/view_owner.js and assets/view.js; unit-tested in tests/js/view.test.js.
 */
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.tpf = root.tpf || {}).rules = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  function clamp(frame, max) {
    return Math.max(0, Math.min(max, Math.round(frame)));
  }

  /* The run [first, last] of hidden frames holding frame, or null (runs are sorted). */
  function hiddenRun(runs, frame) {
    let lo = 0, hi = runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (frame < runs[mid][0]) hi = mid - 1;
      else if (frame > runs[mid][1]) lo = mid + 1;
      else return runs[mid];
    }
    return null;
  }

  /* `count` frames in `direction` (+1/-1) from `frame`, counting only frames the quality mask
   * shows when skipping; stays put when no shown frame lies that way. */
  function stepFrom(frame, count, direction, max, runs, skip) {
    if (!skip || !runs.length) return clamp(frame + count * direction, max);
    let current = frame;
    for (let moved = 0; moved < count; moved++) {
      let next = current + direction;
      const run = hiddenRun(runs, next);
      if (run) next = direction > 0 ? run[1] + 1 : run[0] - 1;
      if (next < 0 || next > max) break;
      current = next;
    }
    return current;
  }

  /* The frame nearest in time to x among frames that have a time. */
  function nearestFrame(times, x) {
    if (!times) return null;
    let best = null, bestDistance = Infinity;
    for (let i = 0; i < times.length; i++) {
      const d = Math.abs(times[i] - x);
      if (d < bestDistance) { bestDistance = d; best = i; }
    }
    return best;
  }

  /* The frame a click on the light curve (graph "lightcurve") or the diagnostics points at.
   * Trace 0 of the curve and every diagnostics trace hold every frame in order; the masked
   * marks carry [frame, cadence], the custom curve its frame (or -1: no cadence). */
  function frameFromClick(click, graph, times) {
    if (!click) return null;
    const point = click.points && click.points[0];
    if (point) {
      if (graph === "diagnostics" || point.curveNumber === 0) return point.pointIndex;
      const data = point.customdata;
      if (Array.isArray(data)) return data[0];
      if (typeof data === "number" && data >= 0) return data;
      return nearestFrame(times, point.x);
    }
    if (click.xvals && click.xvals.length) return nearestFrame(times, click.xvals[0]);
    return null;
  }

  const TEXT_TYPES = ["text", "number", "search", "email", "password", "url", "tel", "date",
                      "datetime-local", "month", "time", "week"];

  /* Whether a key pressed in `target` belongs to it: typing in a field, or another slider's
   * handle (the stretch). Radios, checkboxes and buttons are not text: keys step there. */
  function keepsKeys(target) {
    if (!target || !target.tagName) return false;
    const role = target.getAttribute && target.getAttribute("role");
    if (role === "slider") return !target.closest("#cadence");
    if (role === "combobox" || role === "searchbox" || role === "textbox") return true;
    const tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
    if (tag !== "input") return false;
    return TEXT_TYPES.indexOf(String(target.type || "text").toLowerCase()) >= 0;
  }

  /* What a key does: {step: [count, direction]}, {to: "first"|"last"}, {play: true}, or null. */
  function keyAction(key, shift) {
    const big = shift ? 10 : 1;
    switch (key) {
      case "ArrowRight": return { step: [big, +1] };
      case "ArrowLeft": return { step: [big, -1] };
      case "PageUp": return { step: [10, +1] };
      case "PageDown": return { step: [10, -1] };
      case "Home": return { to: "first" };
      case "End": return { to: "last" };
      case " ": case "Spacebar": return { play: true };
      default: return null;
    }
  }

  /* The link's query: the view's own (file first, frame left out) with `frame` after the file. */
  function linkQuery(query, frame) {
    const params = new URLSearchParams(String(query || "").replace(/^\?/, ""));
    const out = new URLSearchParams();
    if (params.has("file")) out.set("file", params.get("file"));
    if (frame) out.set("frame", String(frame));
    params.forEach(function (value, key) {
      if (key !== "file" && key !== "frame") out.append(key, value);
    });
    const text = out.toString();
    return text ? "?" + text : "";
  }

  /* The aperture's edits after what `fired` (the prop ids Dash says changed, together): each
   * of them counts, because Dash batches a click with the deselect Plotly fires as the figure
   * redraws its outline, and taking only the first would drop the click. The list belongs to
   * the view's aperture epoch: the first edit of a new epoch starts it afresh. Returns null
   * for "no change". `given`: {click, selection, view, which, current} (Dash's clickData,
   * selectedData, the view store as it is, select-mode's value and the list so far). The
   * view is read, never listened to: an edits callback fired by the view would close a loop
   * view -> edits -> view, which Dash resolves only when nothing else is in flight (with
   * another callback in flight it can stall every callback after a new file's view). */
  function apertureEdits(fired, given) {
    const epoch = given.view ? given.view.epoch : 0;
    const current = given.current;
    const same = !!current && current.epoch === epoch && Array.isArray(current.ops);
    const ops = same ? current.ops.slice() : [];
    const before = ops.length;
    if (fired.indexOf("aperture-reset.n_clicks") >= 0) ops.push({ op: "reset" });
    if (fired.indexOf("aperture-clear.n_clicks") >= 0) {
      ops.push({ op: "clear", which: given.which });
    }
    const point = given.click && given.click.points && given.click.points[0];
    if (fired.indexOf("pixels.clickData") >= 0 && point) {
      ops.push({ op: "toggle", which: given.which, x: point.x, y: point.y });
    }
    const selection = given.selection;
    // The box or lasso itself (compact); the server takes the pixels whose centres are in it.
    // A deselect (no box, no lasso) keeps the aperture.
    if (fired.indexOf("pixels.selectedData") >= 0 && selection &&
        (selection.range || selection.lassoPoints)) {
      ops.push({ op: "select", which: given.which,
                 selection: { range: selection.range, lassoPoints: selection.lassoPoints } });
    }
    if (ops.length === before) return null;
    return { epoch: epoch, ops: ops };
  }

  return { clamp, hiddenRun, stepFrom, nearestFrame, frameFromClick, keepsKeys, keyAction,
           linkQuery, apertureEdits };
});
