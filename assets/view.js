/* The view in the page: the one owner of the frame on screen, the slider, the red cursor,
 * the readout, the address bar and playback, wired to the DOM, Dash and Plotly.
 *
 * Stepping must never wait for the server, so the frame is owned here: keys, the ◀ ▶ and Play
 * buttons, clicks on the light curve and diagnostics, the slider, a grid click (through the
 * server) and the frame a link or a new file asks for (the `view` store's `goto`) all come to
 * the owner (assets/view_owner.js), which paints (assets/frames.js), moves the cursor and the
 * slider, and writes the address. Everything else about the view (file, apertures, stretch ...)
 * is the server's `view` store, written by its one owner (callbacks/view.py); this module only
 * reads it. Plotly is read only through assets/plotly_adapter.js.
 */
(function (win) {
  "use strict";
  if (typeof module === "object" && module.exports) return;  // node: nothing to wire
  win.tpf = win.tpf || {};
  const doc = win.document;
  const plot = function () { return win.tpf.plotly; };
  const painter = function () { return win.tpf.frames; };
  let owner = null;
  const rules = function () { return win.tpf.rules; };

  /* The owner, made on first use: every asset (view_owner.js, view_rules.js) has loaded by
   * then, and the painter reports its paints and errors to it. */
  function current() {
    if (owner === null) {
      owner = win.tpf.createOwner(effects, win.tpf.config || {});
      painter().configure({
        onPaint: function (frame, values) { owner.painted(frame, values); },
        onError: say,
      });
    }
    return owner;
  }
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

  /* The slider as last written here, so its echo (Dash re-rendering the handle) is not
   * taken for a drag back to an older frame while steps run ahead of it. */
  const sliderWrites = { wanted: null, queued: false, written: { value: null, max: null } };
  function writeSlider() {
    sliderWrites.queued = false;
    const wanted = sliderWrites.wanted, props = {};
    if (wanted.value !== sliderWrites.written.value) props.value = wanted.value;
    if (wanted.max !== sliderWrites.written.max) props.max = wanted.max;
    sliderWrites.written = wanted;
    if (Object.keys(props).length) win.dash_clientside.set_props("cadence", props);
  }

  const effects = {
    setSlider: function (value, max) {
      sliderWrites.wanted = { value: value, max: max };
      if (sliderWrites.queued) return;
      // After the frame is on screen: any set_props makes Dash re-render its wrappers across
      // the whole layout (~6 ms on this page), which must not sit between a key and its
      // frame. One write per animation frame, of the latest value.
      sliderWrites.queued = true;
      win.requestAnimationFrame(function () { win.setTimeout(writeSlider, 0); });
    },
    paint: function (frame) { painter().show(frame); },
    placeCursor: placeCursor,
    writeFrame: function (frame, frames) {
      text("readout-frame", String(frame));
      text("readout-frame-note", "0-based, of " + frames.toLocaleString("en-US"));
      const start = byId("movie-start"), end = byId("movie-end");
      const around = (win.tpf.config || {}).movieWindow || 50;
      if (start) start.placeholder = String(Math.max(0, frame - around));
      if (end) end.placeholder = String(Math.min(current().state.max, frame + around));
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
    report: function (file, frame) {
      win.dash_clientside.set_props("report-frame", { data: { file: file, frame: frame } });
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
      const frame = rules().frameFromClick(event, graphId, times);
      if (frame !== null && frame !== undefined) current().select(frame);
    };
  }

  /* A tool panel is in the page only while its tab is open (layout.py): when the share and
   * export panel appears, write what this module owns there (the link, the movie's range). */
  function writePanels() {
    const link = byId("share-link"), start = byId("movie-start");
    if (link && !link.__tpfWritten) {
      link.__tpfWritten = true;
      effects.writeAddress(win.location.pathname + win.location.search);
    }
    if (start && !start.__tpfWritten && owner !== null) {
      start.__tpfWritten = true;
      effects.writeFrame(current().state.frame, current().state.max + 1);
    }
  }

  /* Hook each graph once plotly.js has set it up (and again when Dash replaces it). */
  function watchGraphs() {
    writePanels();
    const curve = plot().graph("lightcurve"), panels = plot().graph("diagnostics");
    const pixels = plot().graph("pixels");
    for (const [gd, id, other] of [[curve, "lightcurve", "diagnostics"],
                                   [panels, "diagnostics", "lightcurve"]]) {
      if (!plot().ready(gd) || gd.__tpfWatched) continue;
      gd.__tpfWatched = true;
      gd.on("plotly_afterplot", function () { placeCursor(current().state.frame); });
      gd.on("plotly_relayout", function (event) {
        placeCursor(current().state.frame);
        syncRange(other, event);
      });
      gd.on("plotly_click", clicked(id));
      if (id === "diagnostics") {
        const range = plot().xRange(curve);
        if (range && plot().ready(curve)) syncRange("diagnostics", { "xaxis.range": range });
      }
      placeCursor(current().state.frame);
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
      if (!handle) return;
      const value = Number(handle.getAttribute("aria-valuenow"));
      if (!isFinite(value) || value === sliderWrites.written.value) return;
      sliderWrites.written = { value: value, max: sliderWrites.written.max };  // a drag
      current().follow(value);
    };
    new win.MutationObserver(read).observe(slider, {
      subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow"] });
  }

  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || rules().keepsKeys(event.target)) return;
    if (!byId("cadence")) return;
    const action = rules().keyAction(event.key, event.shiftKey);
    if (!action) return;
    // Capture phase, and the event stops here: a focused slider handle or radio group
    // must not also act on it (a double step, or the scale changing instead).
    event.preventDefault();
    event.stopPropagation();
    if (action.step) current().step(action.step[0], action.step[1]);
    else if (action.to) current()[action.to]();
    else if (action.play) current().toggle();
  }

  function onClick(event) {
    const target = event.target && event.target.closest && event.target.closest("button");
    if (!target) return;
    if (target.id === "prev") current().step(1, -1);
    else if (target.id === "next") current().step(1, +1);
    else if (target.id === "play") current().toggle();
    else if (target.id === "copy-link") copyLink();
  }

  function copyLink() {
    const link = current().link();
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

  doc.addEventListener("keydown", onKey, true);
  doc.addEventListener("click", onClick, true);
  win.addEventListener("resize", function () { placeCursor(current().state.frame); });
  new win.MutationObserver(watchGraphs).observe(doc.documentElement,
                                                { childList: true, subtree: true });
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", followSlider);
  else followSlider();

  const edits = function (click, selection, resets, clears, view, which, current) {
    const ctx = win.dash_clientside.callback_context;
    const fired = (ctx.triggered || []).map(function (t) { return t.prop_id; });
    const next = rules().apertureEdits(fired, { click: click, selection: selection, view: view,
                                                which: which, current: current });
    return next === null ? win.dash_clientside.no_update : next;
  };

  win.dash_clientside = Object.assign({}, win.dash_clientside, {
    tpf: {
      setConfig: function (config) {
        win.tpf.config = config || {};
        current().configure(config);
        painter().configure({ keepBytes: (config || {}).keepBytes });
      },
      setView: function (view) {
        win.tpf.viewState = view;  // read by assets/exports.js for the PNG's caption
        current().setView(view);
      },
      setSource: function (source) {
        painter().setSource(source);
        current().setSource(source);
      },
      setRate: function (fps) { current().setRate(fps); },
      jump: function (target) { current().jump(target); },
      editAperture: edits,
      /* The frame on screen when a button asking about it was clicked (callbacks/browser.py). */
      frameOnScreen: function (clicks) {
        if (!clicks) return win.dash_clientside.no_update;
        const state = current().state;
        return { file: state.file, frame: state.frame, at: Date.now() };
      },
      /* A blip report button: its frame (and kind of image), for the view's owner, which
       * answers with a goto (a button drawn anew reports no click). */
      requestFrame: function () {
        const context = win.dash_clientside.callback_context;
        const fired = (context.triggered || []).some(function (t) { return t.value; });
        const id = context.triggered_id;
        if (!id || !fired) return win.dash_clientside.no_update;
        return { frame: id.frame, image: id.image || null, at: Date.now() };
      },
    },
  });
  win.tpf.view = { owner: current, link: function () { return current().link(); } };
})(typeof self !== "undefined" ? self : this);
