/* The view in the browser: the one owner of the frame on screen, the slider, the red cursor,
 * the readout, the address bar and playback.
 *
 * Stepping must never wait for the server, so the frame is owned here: keys, the ◀ ▶ and Play
 * buttons, clicks on the light curve and diagnostics, the slider, a grid click (through the
 * server) and the frame a link or a new file asks for (the `view` store's `goto`) all come to
 * `select`, which paints (assets/frames.js), moves the cursor and the slider, and, throttled,
 * writes the address. Everything else about the view (file, apertures, stretch ...) is the
 * server's `view` store, written by its one owner (callbacks/view.py); this module only reads
 * it. `createOwner` is the logic with its effects passed in, so node's tests can drive it; the
 * page wires it to the DOM, Dash and Plotly (through assets/plotly_adapter.js) below.
 */
(function (root, factory) {
  const api = factory(root);
  if (typeof module === "object" && module.exports) module.exports = api;
  else {
    (root.tpf = root.tpf || {}).view = api.install(root);
  }
})(typeof self !== "undefined" ? self : this, function (root) {
  "use strict";

  /* -- pure rules ----------------------------------------------------------------------- */
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

  /* -- the owner ------------------------------------------------------------------------ */
  /* `effects`: setSlider(value, max), paint(frame), placeCursor(frame), writeFrame(frame, n),
   * writeReadout(values), writeNotes(source), writePlay(playing), writeAddress(url),
   * sync(file, frame), plotlyFrame() -> {file, frame}|null, painted() -> frame|null,
   * later(fn, ms) -> id, cancel(id), now() -> ms, location() -> {origin, pathname}. */
  function createOwner(effects, config) {
    config = Object.assign({ syncAfterMs: 250, playbackPatienceMs: 1000, linkEveryMs: 250,
                             defaultRate: 10 }, config || {});
    const state = { frame: 0, max: 0, file: null, query: "", runs: [], skip: false,
                    seq: null, pendingGoto: null, sourceFile: null, playing: false,
                    rate: config.defaultRate, requestedAt: 0, playTimer: null,
                    syncTimer: null, linkTimer: null, addressAt: -Infinity };

    function url() {
      const here = effects.location();
      return here.pathname + linkQuery(state.query, state.frame);
    }

    /* The address, at once when it has been quiet for a while (a click, a link, a new file)
     * and at most every linkEveryMs during a burst of steps (Chromium throttles history
     * calls): the last write of a burst always holds its last frame. */
    function writeAddressSoon() {
      if (state.linkTimer !== null) return;
      const wait = state.addressAt + config.linkEveryMs - effects.now();
      if (wait <= 0) {
        state.addressAt = effects.now();
        effects.writeAddress(url());
        return;
      }
      state.linkTimer = effects.later(function () {
        state.linkTimer = null;
        state.addressAt = effects.now();
        effects.writeAddress(url());
      }, wait);
    }

    function syncSoon() {
      if (state.syncTimer !== null) effects.cancel(state.syncTimer);
      state.syncTimer = effects.later(function () {
        state.syncTimer = null;
        if (state.playing || state.file === null || state.sourceFile !== state.file) return;
        const held = effects.plotlyFrame();
        if (held && held.file === state.file && held.frame === state.frame) return;
        effects.sync(state.file, state.frame);
      }, config.syncAfterMs);
    }

    /* Show `frame`. `fromSlider`: the slider moved it already (a drag), do not write back. */
    function select(frame, fromSlider) {
      frame = clamp(frame, state.max);
      const moved = frame !== state.frame;
      state.frame = frame;
      if (!fromSlider) effects.setSlider(frame, state.max);
      effects.paint(frame);
      effects.placeCursor(frame);
      effects.writeFrame(frame, state.max + 1);
      if (moved) writeAddressSoon();
      if (!state.playing) syncSoon();
      return frame;
    }

    function step(count, direction) {
      return select(stepFrom(state.frame, count, direction, state.max, state.runs, state.skip));
    }

    function pause() {
      if (!state.playing) return;
      state.playing = false;
      if (state.playTimer !== null) effects.cancel(state.playTimer);
      state.playTimer = null;
      effects.writePlay(false);
      syncSoon();
    }

    /* One playback tick: advance once the last frame asked for is on screen, so playback
     * never outruns the frames arriving and the image always matches the cursor. */
    function tick() {
      state.playTimer = null;
      if (!state.playing) return;
      const now = effects.now();
      if (effects.painted() !== state.frame && now - state.requestedAt < config.playbackPatienceMs) {
        state.playTimer = effects.later(tick, 1000 / state.rate);
        return;
      }
      const next = stepFrom(state.frame, 1, +1, state.max, state.runs, state.skip);
      if (next === state.frame) { pause(); return; }
      state.requestedAt = now;
      select(next);
      state.playTimer = effects.later(tick, 1000 / state.rate);
    }

    function play() {
      if (state.playing) return;
      state.playing = true;
      effects.writePlay(true);
      if (stepFrom(state.frame, 1, +1, state.max, state.runs, state.skip) === state.frame) {
        select(0);  // at the end: start again
      }
      state.requestedAt = -Infinity;  // nothing asked for yet: the first tick advances
      state.playTimer = effects.later(tick, 1000 / state.rate);
    }

    function applyGoto() {
      if (state.pendingGoto === null || state.sourceFile !== state.file) return;
      const frame = state.pendingGoto;
      state.pendingGoto = null;
      select(frame);
    }

    return {
      state,
      select,
      step,
      play,
      pause,
      toggle: function () { if (state.playing) pause(); else play(); },
      first: function () { return select(0); },
      last: function () { return select(state.max); },
      /* The `view` store changed (callbacks/view.py). */
      setView: function (view) {
        if (!view || !view.state) return;
        state.file = view.state.file;
        state.query = view.query || "";
        const goto = view.goto || { frame: 0, seq: 0 };
        if (goto.seq !== state.seq) {
          state.seq = goto.seq;
          state.pendingGoto = goto.frame;
        }
        applyGoto();
        writeAddressSoon();
      },
      /* The `frame-source` store changed: where frames come from, how many, which to skip. */
      setSource: function (source) {
        if (!source) return;
        state.sourceFile = source.file;
        state.max = Math.max(0, source.frames - 1);
        state.runs = source.hidden || [];
        state.skip = !!source.skip;
        effects.writeNotes(source);
        if (state.frame > state.max) select(state.max);
        else effects.setSlider(state.frame, state.max);
        applyGoto();
      },
      setRate: function (fps) { state.rate = fps > 0 ? fps : config.defaultRate; },
      /* The slider was dragged or keyed to `value`. */
      follow: function (value) {
        if (value !== state.frame) select(value, true);
      },
      /* A frame the server worked out (a per-pixel grid click). */
      jump: function (target) {
        if (target && target.file === state.file) select(target.frame);
      },
      /* The painter painted `frame`: its readout describes what is on screen. */
      painted: function (frame, values) {
        if (frame === state.frame && values) effects.writeReadout(values);
      },
      link: function () { return effects.location().origin + url(); },
      configure: function (options) { Object.assign(config, options || {}); },
    };
  }

  /* -- the page ------------------------------------------------------------------------- */
  function install(win) {
    const doc = win.document;
    const plot = function () { return win.tpf.plotly; };
    const painter = function () { return win.tpf.frames; };
    let owner = null;
    let lastRevision = null;

    function byId(id) { return doc.getElementById(id); }
    function text(id, value) {
      const el = byId(id);
      if (el && el.textContent !== value) el.textContent = value;
    }

    function placeLine(graphId, cursorId, dotTrace, frame) {
      const cursor = byId(cursorId);
      const gd = plot().graph(graphId), times = plot().traceX(plot().graph("lightcurve"), 0);
      if (!cursor) return;
      if (!plot().ready(gd) || !times || frame >= times.length) { cursor.hidden = true; return; }
      const px = plot().xOffset(gd, times[frame]);
      if (!isFinite(px)) { cursor.hidden = true; return; }
      const area = plot().plotArea(gd);
      cursor.hidden = false;
      cursor.style.transform = "translateX(" + (area.left + px) + "px)";
      cursor.style.top = area.top + "px";
      cursor.style.height = area.height + "px";
      cursor.dataset.frame = String(frame);
      const dot = cursor.firstElementChild;
      if (dot && dotTrace !== null) {
        const values = plot().traceY(gd, dotTrace);
        const py = values ? plot().yOffset(gd, values[frame]) : NaN;
        dot.style.display = isFinite(py) ? "block" : "none";
        dot.style.top = py + "px";
      }
    }

    function placeCursor(frame) {
      placeLine("lightcurve", "cursor", 0, frame);
      placeLine("diagnostics", "diagnostics-cursor", null, frame);
    }

    function say(message) {
      const box = byId("browser-message");
      if (box) {
        box.textContent = "";
        const line = doc.createElement("div");
        line.className = "error";
        line.textContent = message;
        box.appendChild(line);
      }
    }

    const effects = {
      setSlider: function (value, max) {
        win.dash_clientside.set_props("cadence", { value: value, max: max });
      },
      paint: function (frame) { painter().show(frame); },
      placeCursor: placeCursor,
      writeFrame: function (frame, frames) {
        text("readout-frame", String(frame));
        text("readout-frame-note", "0-based, of " + frames.toLocaleString("en-US"));
        const start = byId("movie-start"), end = byId("movie-end");
        const around = (win.tpf.config || {}).movieWindow || 50;
        if (start) start.placeholder = String(Math.max(0, frame - around));
        if (end) end.placeholder = String(Math.min(owner.state.max, frame + around));
      },
      writeReadout: function (values) {
        // view/derive.readout: cadence, time, utc, flux, quality, quality note, class, custom
        text("readout-cadence", values[0]);
        text("readout-time", values[1]);
        text("readout-utc", values[2]);
        text("readout-flux", values[3]);
        text("readout-quality", values[4]);
        text("readout-quality-note", values[5]);
        text("readout-custom", values[7] || "");
        const quality = byId("readout-field-quality");
        const css = values[6] + " readout-quality";
        if (quality && quality.className !== css) quality.className = css;
      },
      writeNotes: function (source) {
        text("readout-flux-note", source.aperture || "");
        text("readout-custom-note", source.custom || "");
        const custom = byId("readout-field-custom");
        if (custom) custom.hidden = !source.custom;
      },
      writePlay: function (playing) {
        const button = byId("play");
        if (button) {
          button.textContent = playing ? "❚❚ Pause" : "▶ Play";
          button.setAttribute("aria-pressed", String(playing));
        }
      },
      writeAddress: function (url) {
        if (url !== win.location.pathname + win.location.search) {
          // replaceState, not pushState: stepping must not fill the history.
          win.history.replaceState(win.history.state, "", url);
        }
        const link = byId("share-link");
        if (link) link.href = win.location.origin + url;
      },
      sync: function (file, frame) {
        win.dash_clientside.set_props("frame-sync", { data: { file: file, frame: frame,
                                                               at: Date.now() } });
      },
      plotlyFrame: function () { return plot().heatmapFrame(plot().graph("pixels")); },
      painted: function () { return painter().painted(); },
      later: function (fn, ms) { return win.setTimeout(fn, ms); },
      cancel: function (id) { win.clearTimeout(id); },
      now: function () { return win.performance.now(); },
      location: function () {
        return { origin: win.location.origin, pathname: win.location.pathname };
      },
    };

    /* Keep the diagnostics' time axis on the light curve's (and back), so zooming either
     * zooms both and the two cursors stay one above the other. */
    let syncing = false;
    function syncRange(toId, event) {
      if (syncing || !event) return;
      const target = plot().graph(toId);
      if (!plot().ready(target)) return;
      let update = null;
      if (event["xaxis.autorange"]) update = { "xaxis.autorange": true };
      else if (event["xaxis.range[0]"] !== undefined) {
        update = { "xaxis.range": [event["xaxis.range[0]"], event["xaxis.range[1]"]] };
      } else if (event["xaxis.range"]) update = { "xaxis.range": event["xaxis.range"] };
      if (!update) return;
      syncing = true;
      plot().relayout(target, update).then(function () { syncing = false; },
                                           function () { syncing = false; });
    }

    function clicked(graphId) {
      return function (event) {
        const times = plot().traceX(plot().graph("lightcurve"), 0);
        const frame = frameFromClick(event, graphId, times);
        if (frame !== null && frame !== undefined) owner.select(frame);
      };
    }

    /* Hook each graph once plotly.js has set it up (and again when Dash replaces it). */
    function watchGraphs() {
      const curve = plot().graph("lightcurve"), panels = plot().graph("diagnostics");
      const pixels = plot().graph("pixels");
      for (const [gd, id, other] of [[curve, "lightcurve", "diagnostics"],
                                     [panels, "diagnostics", "lightcurve"]]) {
        if (!plot().ready(gd) || gd.__tpfWatched) continue;
        gd.__tpfWatched = true;
        gd.on("plotly_afterplot", function () { placeCursor(owner.state.frame); });
        gd.on("plotly_relayout", function (event) {
          placeCursor(owner.state.frame);
          syncRange(other, event);
        });
        gd.on("plotly_click", clicked(id));
        if (id === "diagnostics") {
          const range = plot().xRange(curve);
          if (range && plot().ready(curve)) syncRange("diagnostics", { "xaxis.range": range });
        }
        placeCursor(owner.state.frame);
      }
      if (plot().ready(pixels) && !pixels.__tpfWatched) {
        pixels.__tpfWatched = true;
        pixels.on("plotly_afterplot", function () {
          const revision = plot().uirevision(pixels);
          if (revision !== lastRevision) {  // a new file's figure: its own axes, its own reset
            const first = lastRevision === null;
            lastRevision = revision;
            if (!first) { plot().freshAxes(pixels); return; }
          }
          painter().repaint();
        });
      }
    }

    function followSlider() {
      const slider = byId("cadence");
      if (!slider) { win.setTimeout(followSlider, 50); return; }
      const read = function () {
        const handle = slider.querySelector("[role=slider]");
        if (!handle || !owner) return;
        const value = Number(handle.getAttribute("aria-valuenow"));
        if (isFinite(value)) owner.follow(value);
      };
      new win.MutationObserver(read).observe(slider, {
        subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow"] });
    }

    function onKey(event) {
      if (event.altKey || event.ctrlKey || event.metaKey || keepsKeys(event.target)) return;
      if (!owner || !byId("cadence")) return;
      const action = keyAction(event.key, event.shiftKey);
      if (!action) return;
      // Capture phase, and the event stops here: a focused slider handle or radio group
      // must not also act on it (a double step, or the scale changing instead).
      event.preventDefault();
      event.stopPropagation();
      if (action.step) owner.step(action.step[0], action.step[1]);
      else if (action.to) owner[action.to]();
      else if (action.play) owner.toggle();
    }

    function onClick(event) {
      const target = event.target && event.target.closest && event.target.closest("button");
      if (!target || !owner) return;
      if (target.id === "prev") owner.step(1, -1);
      else if (target.id === "next") owner.step(1, +1);
      else if (target.id === "play") owner.toggle();
      else if (target.id === "copy-link") copyLink();
    }

    function copyLink() {
      const link = owner.link();
      const done = function (message) { text("share-status", message); };
      const fallback = function () {
        // Plain http (no secure context) has no clipboard API: the old way, with a selection.
        const area = doc.createElement("textarea");
        area.value = link;
        area.setAttribute("readonly", "");
        area.style.position = "fixed";
        area.style.opacity = "0";
        doc.body.appendChild(area);
        area.select();
        let copied = false;
        try { copied = doc.execCommand("copy"); } catch (error) { copied = false; }
        doc.body.removeChild(area);
        done(copied ? "Link copied." : "Copying is blocked here: right-click 'link to this " +
                                       "view' and copy the link address.");
      };
      if (win.navigator.clipboard && win.isSecureContext) {
        win.navigator.clipboard.writeText(link).then(function () { done("Link copied."); },
                                                     fallback);
      } else fallback();
      effects.writeAddress(link.slice(win.location.origin.length));
    }

    owner = createOwner(effects, {});
    painter().configure({
      onPaint: function (frame, values) { owner.painted(frame, values); },
      onError: say,
    });
    doc.addEventListener("keydown", onKey, true);
    doc.addEventListener("click", onClick, true);
    win.addEventListener("resize", function () { placeCursor(owner.state.frame); });
    new win.MutationObserver(watchGraphs).observe(doc.documentElement,
                                                  { childList: true, subtree: true });
    if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", followSlider);
    else followSlider();

    const edits = function (click, selection, resets, clears, view, which, current) {
      const ctx = win.dash_clientside.callback_context;
      const trigger = ctx.triggered && ctx.triggered[0] ? ctx.triggered[0].prop_id : "";
      const epoch = view ? view.epoch : 0;
      const list = current && current.epoch === epoch ? current.ops.slice() : [];
      if (trigger === "view.data") {
        return current && current.epoch === epoch ? win.dash_clientside.no_update
          : { epoch: epoch, ops: [] };
      }
      if (trigger === "aperture-reset.n_clicks") list.push({ op: "reset" });
      else if (trigger === "aperture-clear.n_clicks") list.push({ op: "clear", which: which });
      else if (trigger === "pixels.clickData") {
        const point = click && click.points && click.points[0];
        if (!point) return win.dash_clientside.no_update;
        list.push({ op: "toggle", which: which, x: point.x, y: point.y });
      } else {
        // The box or lasso itself (compact); the server takes the pixels whose centres are
        // inside, which are the markers Plotly selected (figures/pixels.py).
        if (!selection || !(selection.range || selection.lassoPoints)) {
          return win.dash_clientside.no_update;  // a deselect keeps the aperture
        }
        list.push({ op: "select", which: which, selection: {
          range: selection.range, lassoPoints: selection.lassoPoints } });
      }
      return { epoch: epoch, ops: list };
    };

    win.dash_clientside = Object.assign({}, win.dash_clientside, {
      tpf: {
        setConfig: function (config) {
          win.tpf.config = config || {};
          owner.configure(config);
          painter().configure({ keepBytes: (config || {}).keepBytes });
        },
        setView: function (view) {
          win.tpf.viewState = view;  // read by assets/exports.js for the PNG's caption
          owner.setView(view);
        },
        setSource: function (source) {
          painter().setSource(source);
          owner.setSource(source);
        },
        setRate: function (fps) { owner.setRate(fps); },
        jump: function (target) { owner.jump(target); },
        editAperture: edits,
      },
    });
    return { owner: function () { return owner; }, link: function () { return owner.link(); } };
  }

  return { clamp, hiddenRun, stepFrom, nearestFrame, frameFromClick, keepsKeys, keyAction,
           linkQuery, createOwner, install };
});
