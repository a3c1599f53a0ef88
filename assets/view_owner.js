/* The view's owner in the browser: the frame on screen and everything that follows it (the
 * painter, the cursor, the slider, the readout, the address bar, the heatmap's catch-up) and
 * playback, as logic with its effects passed in, so node's tests can drive it with fakes
 * (tests/js/view.test.js). The page wires it to the DOM, Dash and Plotly in assets/view.js.
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory(require("./view_rules.js"));
  } else {
    // Loaded before view_rules.js (assets load in name order): the rules are looked up when
    // an owner is made, by which time every asset has loaded.
    (root.tpf = root.tpf || {}).createOwner = function (effects, config) {
      return factory(root.tpf.rules).createOwner(effects, config);
    };
  }
})(typeof self !== "undefined" ? self : this, function (rules) {
  "use strict";
  const { clamp, stepFrom, linkQuery } = rules;

  /* `effects`: setSlider(value, max), paint(frame), placeCursor(frame), writeFrame(frame, n),
   * writeReadout(values), writeNotes(source), writePlay(playing), writeAddress(url),
   * sync(file, frame), report(file, frame), plotlyFrame() -> {file, frame}|null, painted() -> frame|null,
   * later(fn, ms) -> id, cancel(id), now() -> ms, location() -> {origin, pathname}. */
  function createOwner(effects, config) {
    config = Object.assign({ syncAfterMs: 250, reportAfterMs: 600, playbackPatienceMs: 1000,
                             linkEveryMs: 250, defaultRate: 10 }, config || {});
    const state = { frame: 0, max: 0, file: null, query: "", runs: [], skip: false,
                    seq: null, pendingGoto: null, sourceFile: null, playing: false,
                    rate: config.defaultRate, requestedAt: 0, playTimer: null,
                    beatAt: 0, syncTimer: null, reportTimer: null, linkTimer: null,
                    addressAt: -Infinity };

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

    /* The blip report of the frame on screen, once stepping has paused a while longer than
     * the heatmap's catch-up: it costs the server tens of milliseconds and the page a redraw,
     * which must never sit between two steps. */
    function reportSoon() {
      if (state.reportTimer !== null) effects.cancel(state.reportTimer);
      state.reportTimer = effects.later(function () {
        state.reportTimer = null;
        if (state.playing || state.file === null || state.sourceFile !== state.file) return;
        effects.report(state.file, state.frame);
      }, config.reportAfterMs);
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
      if (!state.playing) { syncSoon(); reportSoon(); }
      return frame;
    }

    /* A new file (or a link's frame) is named but its frames have not arrived: the header
     * already shows it, so a key pressed now is meant for it, not for the file going away.
     * It moves the frame the new file will open at (Infinity: its last). */
    function waiting() {
      return state.pendingGoto !== null && state.sourceFile !== state.file;
    }

    function step(count, direction) {
      if (waiting()) {
        state.pendingGoto = Math.max(0, state.pendingGoto + count * direction);
        return state.pendingGoto;
      }
      return select(stepFrom(state.frame, count, direction, state.max, state.runs, state.skip));
    }

    function goTo(frame) {
      if (!waiting()) return select(frame);
      state.pendingGoto = frame;
      return frame;
    }

    function pause() {
      if (!state.playing) return;
      state.playing = false;
      if (state.playTimer !== null) effects.cancel(state.playTimer);
      state.playTimer = null;
      effects.writePlay(false);
      syncSoon();
      reportSoon();
    }

    /* One playback tick: advance once the last frame asked for is on screen, so playback
     * never outruns the frames arriving and the image always matches the cursor. */
    function tick() {
      state.playTimer = null;
      if (!state.playing) return;
      const now = effects.now();
      if (effects.painted() !== state.frame && now - state.requestedAt < config.playbackPatienceMs) {
        nextTick();
        return;
      }
      const next = stepFrom(state.frame, 1, +1, state.max, state.runs, state.skip);
      if (next === state.frame) { pause(); return; }
      state.requestedAt = now;
      select(next);
      nextTick();
    }

    /* Ticks on a fixed beat (start + k / rate), not a delay after each tick: a delay would add
     * each tick's own time and play slower than asked. A tick later than a whole beat resets
     * the beat instead of bursting to catch up. */
    function nextTick() {
      const now = effects.now();
      state.beatAt += 1000 / state.rate;
      if (state.beatAt < now) state.beatAt = now;
      state.playTimer = effects.later(tick, state.beatAt - now);
    }

    function play() {
      if (state.playing) return;
      state.playing = true;
      effects.writePlay(true);
      if (stepFrom(state.frame, 1, +1, state.max, state.runs, state.skip) === state.frame) {
        select(0);  // at the end: start again
      }
      state.requestedAt = -Infinity;  // nothing asked for yet: the first tick advances
      state.beatAt = effects.now();
      nextTick();
    }

    function applyGoto() {
      if (state.pendingGoto === null || state.sourceFile !== state.file) return;
      const frame = state.pendingGoto;
      state.pendingGoto = null;
      select(frame);
    }

    /* The page is drawn a moment before the `view` store reaches this owner (its clientside
     * callback): what is asked for then (a key, a click, a drag) is kept and done, in order,
     * once the view is known (`before`, else `now`); a frame chosen then is a goto, as one
     * chosen while a new file's frames are on their way. */
    const early = [];
    function afterView(now, before) {
      return function () {
        if (state.file !== null) return now.apply(null, arguments);
        const args = arguments;
        early.push(function () { (before || now).apply(null, args); });
        return state.frame;
      };
    }

    return {
      state,
      select: afterView(select, goTo),
      step: afterView(step),
      play: afterView(play),
      pause,
      toggle: afterView(function () { if (state.playing) pause(); else play(); }),
      first: afterView(function () { return goTo(0); }),
      last: afterView(function () { return goTo(waiting() ? Infinity : state.max); }),
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
        // What was asked for before the view was known, in order, as gotos of its frames.
        while (early.length) early.shift()();
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
      follow: afterView(function (value) {
        if (value !== state.frame) select(value, true);
      }, goTo),
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

  return { createOwner };
});
