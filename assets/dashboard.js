/* Cadence navigation in the browser: keys, buttons, play, clicks, and the red cursor.
 *
 * The cursor is an HTML line over the light-curve plot, placed from the axis's own
 * linear-to-pixel mapping. Drawing it as a Plotly shape would relayout the graph and make
 * plotly.js redraw every WebGL point of the curve on each step.
 */
(function () {
  "use strict";
  const state = { frame: 0, max: 0, requestedAt: 0, hiddenRuns: [], skip: false };
  // A playback tick waits this long at most for the previous frame to be painted.
  const PLAYBACK_PATIENCE_MS = 1000;

  /* The frame on screen: painted by assets/frames.js, or Plotly's own (its trace meta). */
  function shownFrame() {
    if (window.tpfFrames) return window.tpfFrames.shown();
    const gd = graphDiv("pixels");
    const meta = gd && gd.data && gd.data[0] ? gd.data[0].meta : undefined;
    return meta !== null && typeof meta === "object" ? meta.frame : meta;
  }

  /* After Plotly redraws the heatmap: the painter puts its frame back on top. Until the painter
   * has a frame (its first batch), the readout comes with Plotly's frame (the trace's meta). */
  function afterPixelsPlot() {
    if (window.tpfFrames) window.tpfFrames.repaint();
    if (!window.tpfFrames || window.tpfFrames.painted() === null) showReadout();
  }

  function showReadout() {
    const gd = graphDiv("pixels");
    const meta = gd && gd.data && gd.data[0] && gd.data[0].meta;
    if (!meta || !Array.isArray(meta.readout) || meta.readout === state.shownReadout) return;
    state.shownReadout = meta.readout;
    const ids = ["readout-0", "readout-1", "readout-2", "readout-3", "readout-4",
                 "readout-note-0", "readout-note-4"];
    ids.forEach(function (id, i) {
      const el = document.getElementById(id);
      if (el && el.textContent !== meta.readout[i]) el.textContent = meta.readout[i];
    });
    const quality = document.getElementById("readout-field-4");
    if (quality) quality.className = meta.readout[7];
  }

  function graphDiv(id) {
    const outer = document.getElementById(id);
    return outer && outer.querySelector(".js-plotly-plot");
  }

  function clamp(frame) {
    return Math.max(0, Math.min(state.max, Math.round(frame)));
  }

  /* The run [first, last] of hidden frames holding frame, or null (runs are sorted). */
  function hiddenRun(frame) {
    const runs = state.hiddenRuns;
    let lo = 0, hi = runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (frame < runs[mid][0]) hi = mid - 1;
      else if (frame > runs[mid][1]) lo = mid + 1;
      else return runs[mid];
    }
    return null;
  }

  /* Move `count` frames in `direction` (+1/-1), counting only frames the quality mask shows
   * when skipping is on; stays put when no shown frame lies that way. */
  function stepFrom(frame, count, direction) {
    if (!state.skip || !state.hiddenRuns.length) return clamp(frame + count * direction);
    let current = frame;
    for (let moved = 0; moved < count; moved++) {
      let next = current + direction;
      const run = hiddenRun(next);
      if (run) next = direction > 0 ? run[1] + 1 : run[0] - 1;
      if (next < 0 || next > state.max) break;
      current = next;
    }
    return current;
  }

  function setFrame(frame) {
    frame = clamp(frame);
    if (frame !== state.frame) {
      window.dash_clientside.set_props("cadence", { value: frame });
    }
  }

  /* Frame nearest in time to x among frames that have a time (trace 0 holds every frame). */
  function nearestFrame(gd, x) {
    const times = gd && gd._fullData && gd._fullData[0] && gd._fullData[0].x;
    if (!times) return null;
    let best = null, bestDistance = Infinity;
    for (let i = 0; i < times.length; i++) {
      const d = Math.abs(times[i] - x);
      if (d < bestDistance) { bestDistance = d; best = i; }
    }
    return best;
  }

  /* The frame a click on the light curve (or a diagnostics panel) points at. */
  function frameFromClick(clickData, graph) {
    if (!clickData) return null;
    const point = clickData.points && clickData.points[0];
    if (point) {
      // Diagnostics panels, like the curve's trace 0, hold every frame in order.
      if (graph === "diagnostics" || point.curveNumber === 0) return point.pointIndex;
      const data = point.customdata;
      if (Array.isArray(data)) return data[0];  // masked marks: [frame, cadence]
      if (typeof data === "number" && data >= 0) return data;  // custom curve: its frame
      return nearestFrame(graphDiv("lightcurve"), point.x);  // custom point with no cadence
    }
    if (clickData.xvals && clickData.xvals.length) {
      return nearestFrame(graphDiv("lightcurve"), clickData.xvals[0]);
    }
    return null;
  }

  /* Place an HTML cursor line over a graph's plot area at the selected frame's time (the time
   * comes from the light curve's trace 0, which holds every frame), with a dot on `trace`. */
  function placeLine(graphId, cursorId, dotTrace) {
    const cursor = document.getElementById(cursorId);
    const gd = graphDiv(graphId);
    const times = graphDiv("lightcurve");
    if (!cursor) return;
    const layout = gd && gd._fullLayout;
    const source = times && times._fullData && times._fullData[0];
    if (!layout || !layout.xaxis || !source || !source.x || state.frame >= source.x.length) {
      cursor.hidden = true;
      return;
    }
    const xa = layout.xaxis;
    const px = xa.l2p(source.x[state.frame]);
    if (!isFinite(px) || px < 0 || px > xa._length) {
      cursor.hidden = true;
      return;
    }
    cursor.hidden = false;
    cursor.style.transform = "translateX(" + (xa._offset + px) + "px)";
    cursor.style.top = layout._size.t + "px";
    cursor.style.height = layout._size.h + "px";
    cursor.dataset.frame = String(state.frame);
    const dot = cursor.firstElementChild;
    if (dot && dotTrace !== null) {
      const ya = layout.yaxis;
      const trace = gd._fullData[dotTrace];
      const py = trace && trace.y ? ya.l2p(trace.y[state.frame]) : NaN;
      const top = py + ya._offset - layout._size.t;
      dot.style.display = isFinite(py) && py >= 0 && py <= ya._length ? "block" : "none";
      dot.style.top = top + "px";
    }
  }

  function placeCursor() {
    placeLine("lightcurve", "cursor", 0);
    placeLine("diagnostics", "diagnostics-cursor", null);
  }

  /* Keep the diagnostics' time axis on the light curve's (and back), so zooming either
   * zooms both and the two cursors stay one above the other. */
  let syncing = false;
  function syncRange(fromId, toId, event) {
    if (syncing || !event) return;
    const target = graphDiv(toId);
    if (!target || !target._fullLayout || !target._fullLayout.xaxis) return;
    let update = null;
    if (event["xaxis.autorange"]) update = { "xaxis.autorange": true };
    else if (event["xaxis.range[0]"] !== undefined) {
      update = { "xaxis.range": [event["xaxis.range[0]"], event["xaxis.range[1]"]] };
    } else if (event["xaxis.range"]) update = { "xaxis.range": event["xaxis.range"] };
    if (!update) return;
    syncing = true;
    window.Plotly.relayout(target, update).then(function () { syncing = false; },
                                                  function () { syncing = false; });
  }

  /* Re-place the cursor whenever the curve is redrawn, zoomed, panned or resized. On first
   * load the cadence can arrive before Plotly has set the graph up: keep trying until it has. */
  let watchTries = 0;
  function watch(id, other) {
    const gd = graphDiv(id);
    if (gd && gd.__tpfCursor) return true;
    if (!(gd && gd.on && gd._fullLayout)) return false;
    gd.__tpfCursor = true;
    gd.on("plotly_afterplot", placeCursor);
    gd.on("plotly_relayout", function (event) {
      placeCursor();
      syncRange(id, other, event);
    });
    placeCursor();
    return true;
  }
  function watchGraph() {
    const curve = watch("lightcurve", "diagnostics");
    const panels = watch("diagnostics", "lightcurve");
    const pixels = graphDiv("pixels");
    if (pixels && pixels.on && !pixels.__tpfReadout) {
      pixels.__tpfReadout = true;
      pixels.on("plotly_afterplot", afterPixelsPlot);
    }
    if ((!curve || !panels || !(pixels && pixels.__tpfReadout)) && watchTries++ < 100) {
      setTimeout(watchGraph, 100);
    }
  }

  /* The selected frame as the slider shows it. Watching the handle's aria-valuenow moves the
   * cursor on every change (keys, clicks, drags, playback, restored links) without a Dash
   * callback per step. */
  /* The shareable link's `frame` (0 is the default and left out). Other view state is written
   * by the share callback; replaceState is throttled because Chromium limits history calls. */
  function followInLink() {
    if (state.linkTimer) return;
    state.linkTimer = setTimeout(function () {
      state.linkTimer = null;
      const params = new URLSearchParams(window.location.search);
      if (state.frame) params.set("frame", String(state.frame));
      else params.delete("frame");
      const query = params.toString();
      const url = window.location.pathname + (query ? "?" + query : "");
      if (url !== window.location.pathname + window.location.search) {
        window.history.replaceState(window.history.state, "", url);
      }
      const link = document.getElementById("share-link");
      if (link) link.href = url;
    }, 250);
  }

  /* The movie range boxes show, when empty, the window they default to (1-based frames). */
  function hintMovieRange() {
    const start = document.getElementById("movie-start");
    const end = document.getElementById("movie-end");
    if (!start || !end) return;
    const around = 50;  // MOVIE_WINDOW in dashboard/layout_share.py
    start.placeholder = String(Math.max(0, state.frame - around) + 1);
    end.placeholder = String(Math.min(state.max, state.frame + around) + 1);
  }

  function followSlider() {
    const slider = document.getElementById("cadence");
    if (!slider) { setTimeout(followSlider, 100); return; }
    const read = function () {
      const handle = slider.querySelector("[role=slider]");
      if (!handle) return;
      state.frame = Number(handle.getAttribute("aria-valuenow")) || 0;
      state.max = Number(handle.getAttribute("aria-valuemax")) || 0;
      if (window.tpfFrames) window.tpfFrames.show(state.frame);
      watchTries = 0;
      watchGraph();
      placeCursor();
      followInLink();
      hintMovieRange();
    };
    new MutationObserver(read).observe(slider, {
      subtree: true, childList: true, attributes: true,
      attributeFilter: ["aria-valuenow", "aria-valuemax"] });
    read();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", followSlider);
  } else {
    followSlider();
  }
  window.addEventListener("resize", placeCursor);

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    tpf: {
      step: function (prevClicks, nextClicks, ticks, clickData, panelClick, value, max) {
        const ctx = window.dash_clientside.callback_context;
        const trigger = ctx.triggered_id;
        state.max = max;
        let frame = value || 0;
        if (trigger === "prev") frame = stepFrom(frame, 1, -1);
        else if (trigger === "next") frame = stepFrom(frame, 1, +1);
        else if (trigger === "player") {
          // Advance only once the last frame asked for is on screen: playback then never
          // outruns the server (newer requests would supersede older ones unpainted) and the
          // image always matches the cursor.
          const now = performance.now();
          if (shownFrame() !== frame && now - state.requestedAt < PLAYBACK_PATIENCE_MS) {
            return window.dash_clientside.no_update;
          }
          state.requestedAt = now;
          if (stepFrom(frame, 1, +1) === frame) {  // the end (of shown frames)
            if (window.tpfFrames) window.tpfFrames.setPlaying(false);
            window.dash_clientside.set_props("player", { disabled: true });
            window.dash_clientside.set_props("play", { children: "▶ Play" });
            return window.dash_clientside.no_update;
          }
          frame = stepFrom(frame, 1, +1);
        } else if (trigger === "lightcurve" || trigger === "diagnostics") {
          const picked = frameFromClick(trigger === "lightcurve" ? clickData : panelClick, trigger);
          if (picked === null || picked === undefined) return window.dash_clientside.no_update;
          frame = picked;
        }
        frame = clamp(frame);
        if (frame === value) return window.dash_clientside.no_update;
        // Paint now, not when the slider has re-rendered: a playback tick then finds its frame
        // on screen and the next one advances (the slider's echo repaints nothing).
        state.frame = frame;
        if (window.tpfFrames) window.tpfFrames.show(frame);
        placeCursor();
        return frame;
      },
      togglePlay: function (clicks, disabled) {
        const playing = disabled;  // it was paused, so now it plays
        if (window.tpfFrames) window.tpfFrames.setPlaying(playing);
        if (playing && state.frame >= state.max) {
          window.dash_clientside.set_props("cadence", { value: 0 });
        }
        return [!playing, playing ? "❚❚ Pause" : "▶ Play"];
      },
      /* Aperture edits are appended here, in the browser, so the list is never stale; the
       * server replays it (callbacks/aperture.py). Reset returns to the pipeline aperture. */
      editAperture: function (click, selection, resets, clears, which, edits) {
        const trigger = window.dash_clientside.callback_context.triggered[0].prop_id;
        edits = (edits || []).slice();
        if (trigger === "aperture-reset.n_clicks") return [];
        if (trigger === "aperture-clear.n_clicks") edits.push({ op: "clear", which: which });
        else if (trigger === "pixels.clickData") {
          const point = click && click.points && click.points[0];
          if (!point) return window.dash_clientside.no_update;
          edits.push({ op: "toggle", which: which, x: point.x, y: point.y });
        } else {
          if (!selection || !(selection.range || selection.lassoPoints)) {
            return window.dash_clientside.no_update;  // a deselect keeps the aperture
          }
          edits.push({ op: "select", which: which, selection: {
            range: selection.range, lassoPoints: selection.lassoPoints } });
        }
        return edits;
      },
      mask: function (runs, skip) {
        state.hiddenRuns = runs || [];
        state.skip = Array.isArray(skip) && skip.indexOf("skip") >= 0;
        return window.dash_clientside.no_update;
      },
      frameSource: function (source) {
        if (window.tpfFrames) window.tpfFrames.setSource(source);
        return window.dash_clientside.no_update;
      },
      rate: function (fps) {
        return Math.round(1000 / (fps || 10));
      },
    },
  });

  /* Keys the page should leave alone: typing in a field, or another slider's focused handle
   * (the stretch). The cadence slider's handle is ours: handled here, it never steps twice. */
  function typing(target) {
    if (!target || !target.tagName) return false;
    if (target.getAttribute && target.getAttribute("role") === "slider") {
      return !target.closest("#cadence");
    }
    const tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  /* Keys anywhere on the page. Capture phase, and the event stops here, so a focused slider
   * handle does not also move by itself (which would step twice). */
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    if (!document.getElementById("cadence")) return;
    const big = event.shiftKey ? 10 : 1;
    let frame = null;
    switch (event.key) {
      case "ArrowRight": frame = stepFrom(state.frame, big, +1); break;
      case "ArrowLeft": frame = stepFrom(state.frame, big, -1); break;
      case "PageUp": frame = stepFrom(state.frame, 10, +1); break;
      case "PageDown": frame = stepFrom(state.frame, 10, -1); break;
      case "Home": frame = 0; break;
      case "End": frame = state.max; break;
      case " ": case "Spacebar": {
        const play = document.getElementById("play");
        if (play) play.click();
        break;
      }
      default: return;
    }
    event.preventDefault();
    event.stopPropagation();
    if (frame !== null) {
      setFrame(frame);
      state.frame = clamp(frame);  // so fast repeats accumulate before the callback echoes back
      // Paint now rather than when the slider echoes the value back a frame or two later.
      if (window.tpfFrames) window.tpfFrames.show(state.frame);
      placeCursor();
    }
  }, true);
})();
