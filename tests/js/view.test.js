// The browser's view: its rules (assets/view_rules.js), and its owner (assets/view_owner.js)
// driven with fake effects, as the page (assets/view.js) drives it. Run with
// `node --test tests/js` (tests/test_js.py does).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const view = { ...require("../../assets/view_rules.js"),
               ...require("../../assets/view_owner.js") };

test("stepping clamps to the file and skips hidden runs only when asked", () => {
  const runs = [[3, 5], [9, 9]];
  assert.equal(view.stepFrom(2, 1, +1, 20, runs, false), 3);
  assert.equal(view.stepFrom(2, 1, +1, 20, runs, true), 6);
  assert.equal(view.stepFrom(6, 1, -1, 20, runs, true), 2);
  assert.equal(view.stepFrom(8, 2, +1, 20, runs, true), 11);   // 9 is hidden: 10, then 11
  assert.equal(view.stepFrom(19, 10, +1, 20, runs, false), 20);
  assert.equal(view.stepFrom(1, 10, -1, 20, runs, false), 0);
  assert.equal(view.stepFrom(2, 1, +1, 5, [[3, 5]], true), 2);  // nothing shown that way
  assert.deepEqual(view.hiddenRun(runs, 4), [3, 5]);
  assert.equal(view.hiddenRun(runs, 6), null);
});

test("a click names its frame: trace 0 by index, marks and custom points by customdata", () => {
  const times = [10, 11, 12, 13];
  assert.equal(view.frameFromClick({ points: [{ curveNumber: 0, pointIndex: 2 }] },
                                   "lightcurve", times), 2);
  assert.equal(view.frameFromClick({ points: [{ curveNumber: 1, customdata: [3, 5003] }] },
                                   "lightcurve", times), 3);
  assert.equal(view.frameFromClick({ points: [{ curveNumber: 2, customdata: 1 }] },
                                   "lightcurve", times), 1);
  // A custom point with no cadence (-1): the frame nearest in time.
  assert.equal(view.frameFromClick({ points: [{ curveNumber: 3, customdata: -1, x: 12.4 }] },
                                   "lightcurve", times), 2);
  // Empty plot area: nearest in time; diagnostics panels hold every frame in order.
  assert.equal(view.frameFromClick({ points: [], xvals: [10.6] }, "lightcurve", times), 1);
  assert.equal(view.frameFromClick({ points: [{ curveNumber: 2, pointIndex: 3 }] },
                                   "diagnostics", times), 3);
  assert.equal(view.frameFromClick(null, "lightcurve", times), null);
});

function element(tag, attributes) {
  attributes = attributes || {};
  return { tagName: tag, type: attributes.type, isContentEditable: !!attributes.editable,
           getAttribute: (name) => (name in attributes ? attributes[name] : null),
           closest: (selector) => (attributes.inside === selector ? {} : null) };
}

test("keys step everywhere but where typing or another slider takes them", () => {
  assert.equal(view.keepsKeys(element("INPUT", { type: "radio" })), false);    // the scale radio
  assert.equal(view.keepsKeys(element("INPUT", { type: "checkbox" })), false);
  assert.equal(view.keepsKeys(element("BUTTON")), false);
  assert.equal(view.keepsKeys(element("INPUT", { type: "text" })), true);
  assert.equal(view.keepsKeys(element("INPUT", { type: "number" })), true);
  assert.equal(view.keepsKeys(element("INPUT")), true);  // no type: text
  assert.equal(view.keepsKeys(element("TEXTAREA")), true);
  assert.equal(view.keepsKeys(element("DIV", { editable: true })), true);
  assert.equal(view.keepsKeys(element("DIV", { role: "combobox" })), true);
  assert.equal(view.keepsKeys(element("SPAN", { role: "slider" })), true);       // the stretch
  assert.equal(view.keepsKeys(element("SPAN", { role: "slider", inside: "#cadence" })), false);
  assert.deepEqual(view.keyAction("ArrowRight", false), { step: [1, +1] });
  assert.deepEqual(view.keyAction("ArrowLeft", true), { step: [10, -1] });
  assert.deepEqual(view.keyAction("End", false), { to: "last" });
  assert.deepEqual(view.keyAction(" ", false), { play: true });
  assert.equal(view.keyAction("a", false), null);
});

test("the link puts the frame after the file and leaves frame 0 out", () => {
  assert.equal(view.linkQuery("?file=abc&scale=linear", 638), "?file=abc&frame=638&scale=linear");
  assert.equal(view.linkQuery("?file=abc&scale=linear", 0), "?file=abc&scale=linear");
  assert.equal(view.linkQuery("", 5), "?frame=5");
  assert.equal(view.linkQuery("?file=abc&frame=3", 7), "?file=abc&frame=7");
});

/* The owner with effects that record what they were asked to do, and a clock of our own. */
function harness(config, paintMs = 0) {
  const calls = [];
  const timers = new Map();
  let now = 0, next = 1, painted = null, plotly = null;
  const effects = {
    setSlider: (value, max) => calls.push(["slider", value, max]),
    paint: (frame) => { calls.push(["paint", frame]); now += paintMs; },  // a paint takes time
    placeCursor: (frame) => calls.push(["cursor", frame]),
    writeFrame: (frame, n) => calls.push(["frame", frame, n]),
    writeReadout: (values) => calls.push(["readout", values]),
    writeNotes: (source) => calls.push(["notes", source.aperture]),
    writePlay: (playing) => calls.push(["play", playing]),
    writeAddress: (url) => calls.push(["address", url]),
    sync: (file, frame) => calls.push(["sync", file, frame]),
    report: (file, frame) => calls.push(["report", file, frame]),
    plotlyFrame: () => plotly,
    painted: () => painted,
    later: (fn, ms) => { const id = next++; timers.set(id, [now + ms, fn]); return id; },
    cancel: (id) => timers.delete(id),
    now: () => now,
    location: () => ({ origin: "http://h", pathname: "/" }),
  };
  const owner = view.createOwner(effects, config);
  return {
    owner, calls,
    setPainted: (frame) => { painted = frame; },
    setPlotly: (held) => { plotly = held; },
    /* Advance the clock by ms, running due timers in order. */
    advance: (ms) => {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, [t]]) => t <= end).sort((a, b) => a[1][0] - b[1][0]);
        if (!due.length) break;
        const [id, [t, fn]] = due[0];
        timers.delete(id);
        now = Math.max(now, t);
        fn();
      }
      now = end;
    },
    last: (kind) => [...calls].reverse().find((c) => c[0] === kind),
    all: (kind) => calls.filter((c) => c[0] === kind),
  };
}

const SOURCE = { file: "f1", frames: 100, hidden: [[10, 19]], skip: false, aperture: "pipeline aperture, 16 px" };
const VIEW = { state: { file: "f1" }, query: "?file=f1&scale=linear", goto: { frame: 0, seq: 0 } };

test("a link's frame waits for its file's frames, then is shown once", () => {
  const h = harness();
  h.owner.setView({ state: { file: "f2" }, query: "?file=f2", goto: { frame: 42, seq: 3 } });
  h.owner.setSource(SOURCE);                   // still the old file's frames: not yet
  assert.equal(h.owner.state.frame, 0);
  h.owner.setSource({ ...SOURCE, file: "f2" });
  assert.equal(h.owner.state.frame, 42);
  assert.deepEqual(h.last("slider"), ["slider", 42, 99]);
  h.owner.setView({ state: { file: "f2" }, query: "?file=f2&cmap=gray", goto: { frame: 42, seq: 3 } });
  h.owner.select(7);
  h.owner.setSource({ ...SOURCE, file: "f2" });  // the same goto again changes nothing
  assert.equal(h.owner.state.frame, 7);
});

test("what is asked before the view reaches the owner is done once it has, in order", () => {
  // The page is drawn before its view's clientside callback runs: a click or key then is kept.
  const h = harness();
  h.owner.follow(300);                          // a drag of the slider
  h.owner.select(311);                          // a click on the curve
  h.owner.step(1, +1);                          // then →
  assert.equal(h.owner.state.frame, 0);
  assert.equal(h.all("paint").length, 0);       // nothing drawn for a file not yet known
  h.owner.setView(VIEW);
  h.owner.setSource({ ...SOURCE, frames: 1000, hidden: [] });
  assert.equal(h.owner.state.frame, 312);
  assert.deepEqual(h.last("slider"), ["slider", 312, 999]);
  // Known at once from then on.
  h.owner.select(5);
  assert.equal(h.owner.state.frame, 5);
  const dragged = harness();
  dragged.owner.follow(300);                    // a drag alone, before the view
  dragged.owner.setSource({ ...SOURCE, frames: 1000, hidden: [] });
  dragged.owner.setView(VIEW);                  // the other order of the two stores
  assert.equal(dragged.owner.state.frame, 300);
});

test("keys pressed while a new file's frames are on their way act on the new file", () => {
  const h = harness();
  h.owner.setView(VIEW);
  h.owner.setSource(SOURCE);
  h.owner.select(5);
  // The new file is named (its header shows) before its frames arrive.
  h.owner.setView({ state: { file: "f2" }, query: "?file=f2", goto: { frame: 0, seq: 1 } });
  h.owner.last();                               // End
  assert.equal(h.owner.state.frame, 5);         // nothing of the old file moved
  h.owner.setSource({ ...SOURCE, file: "f2", frames: 20000 });
  assert.equal(h.owner.state.frame, 19999);     // End counted for the new file
  h.owner.setView({ state: { file: "f3" }, query: "?file=f3", goto: { frame: 4, seq: 2 } });
  h.owner.step(1, +1);
  h.owner.step(10, -1);                         // no frame before the first
  h.owner.step(1, +1);
  h.owner.setSource({ ...SOURCE, file: "f3" });
  assert.equal(h.owner.state.frame, 1);
  h.owner.last();                               // frames here: the last of this file
  assert.equal(h.owner.state.frame, 99);
});

test("every way of moving paints, moves the cursor and the slider, then the address", () => {
  const h = harness({ linkEveryMs: 250, syncAfterMs: 250 });
  h.owner.setView(VIEW);
  h.owner.setSource(SOURCE);
  h.advance(1000);
  h.owner.step(1, +1);
  // After a quiet while, the address follows at once (a click, a link).
  assert.deepEqual(h.last("address"), ["address", "/?file=f1&frame=1&scale=linear"]);
  h.owner.step(10, +1);
  h.owner.step(1, +1);
  assert.deepEqual(h.last("paint"), ["paint", 12]);
  assert.deepEqual(h.last("cursor"), ["cursor", 12]);
  assert.deepEqual(h.last("slider"), ["slider", 12, 99]);
  assert.deepEqual(h.last("frame"), ["frame", 12, 100]);
  const before = h.all("address").length;
  h.advance(250);
  // In a burst, throttled: one more write, holding the last frame on screen.
  assert.equal(h.all("address").length, before + 1);
  assert.deepEqual(h.last("address"), ["address", "/?file=f1&frame=12&scale=linear"]);
  // The copied link is never behind the screen, whatever the throttle.
  h.owner.select(12);
  assert.equal(h.owner.link(), "http://h/?file=f1&frame=12&scale=linear");
  h.owner.last();
  assert.equal(h.owner.state.frame, 99);
  h.owner.first();
  assert.equal(h.owner.state.frame, 0);
});

test("a drag of the slider is followed without writing the slider back", () => {
  const h = harness();
  h.owner.setView(VIEW);
  h.owner.setSource(SOURCE);
  const sliders = h.all("slider").length;
  h.owner.follow(33);
  assert.equal(h.owner.state.frame, 33);
  assert.equal(h.all("slider").length, sliders);
  assert.deepEqual(h.last("paint"), ["paint", 33]);
});

test("once stepping pauses, Plotly's heatmap is asked to catch up, unless it holds the frame", () => {
  const h = harness({ syncAfterMs: 250 });
  h.owner.setView(VIEW);
  h.owner.setSource(SOURCE);
  h.owner.step(1, +1);
  h.advance(100);
  h.owner.step(1, +1);
  h.advance(200);
  assert.equal(h.all("sync").length, 0);   // still stepping
  h.advance(100);
  assert.deepEqual(h.all("sync"), [["sync", "f1", 2]]);
  h.setPlotly({ file: "f1", frame: 2 });
  h.owner.select(2);
  h.advance(300);
  assert.equal(h.all("sync").length, 1);   // it has that frame already
});

test("playback advances only once the last frame is on screen, skips hidden frames, stops at the end", () => {
  const h = harness({ playbackPatienceMs: 1000, syncAfterMs: 250 });
  h.owner.setView(VIEW);
  h.owner.setSource({ ...SOURCE, frames: 25, skip: true });
  h.owner.setRate(10);
  h.owner.select(8);
  h.setPainted(8);
  h.owner.play();
  assert.deepEqual(h.last("play"), ["play", true]);
  h.advance(100);
  assert.equal(h.owner.state.frame, 9);
  h.advance(100);
  assert.equal(h.owner.state.frame, 9);    // frame 9 is not painted yet: wait
  h.setPainted(9);
  h.advance(100);
  assert.equal(h.owner.state.frame, 20);   // 10-19 are hidden
  h.setPainted(20);
  for (let k = 0; k < 4; k++) { h.advance(100); h.setPainted(h.owner.state.frame); }
  assert.equal(h.owner.state.frame, 24);
  assert.equal(h.all("sync").length, 0);  // never while playing
  h.advance(100);
  assert.equal(h.owner.state.playing, false);  // the end
  assert.deepEqual(h.last("play"), ["play", false]);
  h.advance(300);
  assert.deepEqual(h.all("sync"), [["sync", "f1", 24]]);  // paused: the heatmap catches up
});

test("playback keeps its beat when each step takes time: 30 fps is 30 frames a second", () => {
  const h = harness({}, 8);  // each paint costs 8 ms of the 33 ms beat
  h.owner.setView(VIEW);
  h.owner.setSource({ ...SOURCE, hidden: [], frames: 1000 });
  h.owner.setRate(30);
  h.owner.play();
  for (let t = 0; t < 1000; t += 5) { h.advance(5); h.setPainted(h.owner.state.frame); }
  assert.ok(Math.abs(h.owner.state.frame - 30) <= 1, `advanced ${h.owner.state.frame} frames`);
});

test("a frame not painted within the patience is passed anyway, and play at the end restarts", () => {
  const h = harness({ playbackPatienceMs: 300 });
  h.owner.setView(VIEW);
  h.owner.setSource({ ...SOURCE, hidden: [], frames: 5 });
  h.owner.setRate(10);
  h.owner.last();
  h.owner.play();
  assert.equal(h.owner.state.frame, 0);   // from the end, play starts again at the first frame
  h.advance(100);                          // nothing painted: first tick passes (no request yet)
  assert.equal(h.owner.state.frame, 1);
  h.advance(200);
  assert.equal(h.owner.state.frame, 1);   // waiting for frame 1
  h.advance(200);
  assert.equal(h.owner.state.frame, 2);   // patience over
});

test("the readout is written only for the frame on screen", () => {
  const h = harness();
  h.owner.setView(VIEW);
  h.owner.setSource(SOURCE);
  h.owner.select(5);
  h.owner.painted(4, ["old"]);
  assert.equal(h.all("readout").length, 0);
  h.owner.painted(5, ["100005", "2750.1 BKJD"]);
  assert.deepEqual(h.last("readout"), ["readout", ["100005", "2750.1 BKJD"]]);
  assert.deepEqual(h.last("notes"), ["notes", "pipeline aperture, 16 px"]);
});

test("a grid click's frame is shown only for the file on screen", () => {
  const h = harness();
  h.owner.setView(VIEW);
  h.owner.setSource(SOURCE);
  h.owner.jump({ file: "other", frame: 50 });
  assert.equal(h.owner.state.frame, 0);
  h.owner.jump({ file: "f1", frame: 50 });
  assert.equal(h.owner.state.frame, 50);
});

test("a shorter new file brings the frame back inside it", () => {
  const h = harness();
  h.owner.setView(VIEW);
  h.owner.setSource(SOURCE);
  h.owner.select(90);
  h.owner.setSource({ ...SOURCE, frames: 10 });
  assert.equal(h.owner.state.frame, 9);
});

test("the blip report is asked for only once stepping has paused a while, never while playing", () => {
  const h = harness({ syncAfterMs: 250, reportAfterMs: 600 });
  h.owner.setView(VIEW);
  h.owner.setSource({ ...SOURCE, hidden: [] });
  h.advance(1000);
  const before = h.all("report").length;
  for (let k = 0; k < 5; k++) { h.owner.step(1, +1); h.advance(300); }
  assert.equal(h.all("report").length, before);   // steps 300 ms apart: the heatmap syncs,
  assert.ok(h.all("sync").length >= 4);             // the report waits
  h.advance(400);
  assert.deepEqual(h.last("report"), ["report", "f1", 5]);
  h.owner.setRate(10);
  h.owner.play();
  h.setPainted(5);
  for (let k = 0; k < 20; k++) { h.advance(100); h.setPainted(h.owner.state.frame); }
  assert.deepEqual(h.last("report"), ["report", "f1", 5]);  // nothing while playing
  h.owner.pause();
  h.advance(700);
  assert.deepEqual(h.last("report"), ["report", "f1", h.owner.state.frame]);
});

test("aperture edits: a click batched with a deselect still counts; a new epoch starts afresh", () => {
  const view0 = { epoch: 3 };
  const click = { points: [{ x: 626, y: 408 }] };
  const current = { epoch: 3, ops: [{ op: "toggle", which: "background", x: 612, y: 408 }] };
  // Plotly's deselect (the outline redrawn) and the click, in one batch: the click is kept.
  const both = view.apertureEdits(["pixels.selectedData", "pixels.clickData"],
                                  { click, selection: null, view: view0, which: "background", current });
  assert.deepEqual(both.ops.map((o) => [o.op, o.x]), [["toggle", 612], ["toggle", 626]]);
  // A deselect alone keeps the aperture, in this epoch or a new one (nothing to send).
  assert.equal(view.apertureEdits(["pixels.selectedData"], { selection: null, view: view0, current }), null);
  assert.equal(view.apertureEdits(["pixels.selectedData"], { selection: null, view: { epoch: 4 }, current }), null);
  // The first edit of a new epoch (a new file or a link) starts the list again.
  const fresh = view.apertureEdits(["pixels.clickData"],
                                   { click, view: { epoch: 4 }, which: "target", current });
  assert.deepEqual(fresh, { epoch: 4, ops: [{ op: "toggle", which: "target", x: 626, y: 408 }] });
  // A box: its range, compact; reset and clear in order.
  const box = view.apertureEdits(["pixels.selectedData"], {
    selection: { range: { x: [1, 2], y: [3, 4] }, points: [1, 2, 3] }, view: view0, which: "target", current: null });
  assert.deepEqual(box.ops, [{ op: "select", which: "target", selection: { range: { x: [1, 2], y: [3, 4] }, lassoPoints: undefined } }]);
  assert.deepEqual(view.apertureEdits(["aperture-reset.n_clicks"], { view: view0, current: null }).ops, [{ op: "reset" }]);
});
