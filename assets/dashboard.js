/* Cadence navigation in the browser: keys, buttons, play, clicks, and the red cursor.
 *
 * The cursor is an HTML line over the light-curve plot, placed from the axis's own
 * linear-to-pixel mapping. Drawing it as a Plotly shape would relayout the graph and make
 * plotly.js redraw every WebGL point of the curve on each step.
 */
(function () {
  "use strict";
  const state = { frame: 0, max: 0, requestedAt: 0 };
  // A playback tick waits this long at most for the previous frame to be painted.
  const PLAYBACK_PATIENCE_MS = 1000;

  /* The frame the heatmap is showing (the server tags each frame patch with it). */
  function shownFrame() {
    const gd = graphDiv("pixels");
    return gd && gd.data && gd.data[0] ? gd.data[0].meta : undefined;
  }

  function graphDiv(id) {
    const outer = document.getElementById(id);
    return outer && outer.querySelector(".js-plotly-plot");
  }

  function clamp(frame) {
    return Math.max(0, Math.min(state.max, Math.round(frame)));
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

  function frameFromClick(clickData) {
    if (!clickData) return null;
    const point = clickData.points && clickData.points[0];
    if (point) {
      if (point.curveNumber === 0) return point.pointIndex;
      if (Array.isArray(point.customdata)) return point.customdata[0];
      return nearestFrame(graphDiv("lightcurve"), point.x);
    }
    if (clickData.xvals && clickData.xvals.length) {
      return nearestFrame(graphDiv("lightcurve"), clickData.xvals[0]);
    }
    return null;
  }

  function placeCursor() {
    const cursor = document.getElementById("cursor");
    const gd = graphDiv("lightcurve");
    if (!cursor) return;
    const layout = gd && gd._fullLayout;
    const trace = gd && gd._fullData && gd._fullData[0];
    if (!layout || !layout.xaxis || !trace || !trace.x || state.frame >= trace.x.length) {
      cursor.hidden = true;
      return;
    }
    const xa = layout.xaxis, ya = layout.yaxis;
    const t = trace.x[state.frame], f = trace.y[state.frame];
    const px = xa.l2p(t);
    if (!isFinite(px) || px < 0 || px > xa._length) {
      cursor.hidden = true;
      return;
    }
    cursor.hidden = false;
    cursor.style.transform = "translateX(" + (xa._offset + px) + "px)";
    cursor.style.top = ya._offset + "px";
    cursor.style.height = ya._length + "px";
    const dot = cursor.firstElementChild;
    const py = ya.l2p(f);
    if (dot) {
      dot.style.display = isFinite(py) && py >= 0 && py <= ya._length ? "block" : "none";
      dot.style.top = py + "px";
    }
    cursor.dataset.frame = String(state.frame);
  }

  /* Re-place the cursor whenever the curve is redrawn, zoomed, panned or resized. On first
   * load the cadence can arrive before Plotly has set the graph up: keep trying until it has. */
  let watchTries = 0;
  function watchGraph() {
    const gd = graphDiv("lightcurve");
    if (gd && gd.__tpfCursor) return;
    if (gd && gd.on && gd._fullLayout) {
      gd.__tpfCursor = true;
      gd.on("plotly_afterplot", placeCursor);
      gd.on("plotly_relayout", placeCursor);
      placeCursor();
    } else if (watchTries++ < 100) {
      setTimeout(watchGraph, 100);
    }
  }
  window.addEventListener("resize", placeCursor);

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    tpf: {
      step: function (prevClicks, nextClicks, ticks, clickData, value, max) {
        const ctx = window.dash_clientside.callback_context;
        const trigger = ctx.triggered_id;
        state.max = max;
        let frame = value || 0;
        if (trigger === "prev") frame -= 1;
        else if (trigger === "next") frame += 1;
        else if (trigger === "player") {
          // Advance only once the last frame asked for is on screen: playback then never
          // outruns the server (newer requests would supersede older ones unpainted) and the
          // image always matches the cursor.
          const now = performance.now();
          if (shownFrame() !== frame && now - state.requestedAt < PLAYBACK_PATIENCE_MS) {
            return window.dash_clientside.no_update;
          }
          state.requestedAt = now;
          if (frame >= max) {
            window.dash_clientside.set_props("player", { disabled: true });
            window.dash_clientside.set_props("play", { children: "▶ Play" });
            return window.dash_clientside.no_update;
          }
          frame += 1;
        } else if (trigger === "lightcurve") {
          const picked = frameFromClick(clickData);
          if (picked === null || picked === undefined) return window.dash_clientside.no_update;
          frame = picked;
        }
        frame = clamp(frame);
        return frame === value ? window.dash_clientside.no_update : frame;
      },
      togglePlay: function (clicks, disabled) {
        const playing = disabled;  // it was paused, so now it plays
        if (playing && state.frame >= state.max) {
          window.dash_clientside.set_props("cadence", { value: 0 });
        }
        return [!playing, playing ? "❚❚ Pause" : "▶ Play"];
      },
      rate: function (fps) {
        return Math.round(1000 / (fps || 10));
      },
      cursor: function (value, max) {
        state.frame = value || 0;
        state.max = max || 0;
        watchTries = 0;
        watchGraph();
        placeCursor();
        return window.dash_clientside.no_update;
      },
    },
  });

  function typing(target) {
    if (!target || !target.tagName) return false;
    if (target.getAttribute && target.getAttribute("role") === "slider") return false;
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
      case "ArrowRight": frame = state.frame + big; break;
      case "ArrowLeft": frame = state.frame - big; break;
      case "PageUp": frame = state.frame + 10; break;
      case "PageDown": frame = state.frame - 10; break;
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
    }
  }, true);
})();
