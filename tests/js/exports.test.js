// The labelled PNG (assets/exports.js): what its caption says and what its file is called.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const exports_ = require("../../assets/exports.js");

const INFO = { mission: "K2", target: "EPIC 221312395", period: "Campaign 91",
               filename: "ktwo221312395-c91_lpd-targ.fits.gz", frame: 638, cadence: "125881",
               time: "2681.13449 BKJD", utc: "2016-05-05 15:12:31",
               flux: "8,687.6 e⁻/s", aperture: "threshold aperture (3σ), 4 px",
               image: "flux, log stretch 1–95 % (viridis)" };

test("the caption names the target, mission, frame and CADENCENO, UTC and stretch", () => {
  const lines = exports_.captionLines(INFO);
  assert.equal(lines[0], "K2 · EPIC 221312395 · Campaign 91  (ktwo221312395-c91_lpd-targ.fits.gz)");
  assert.match(lines[1], /frame 638 \(0-based\) · CADENCENO 125881 · 2681\.13449 BKJD · UTC 2016-05-05 15:12:31/);
  assert.match(lines[2], /log stretch 1–95 % \(viridis\)/);
  assert.match(lines[2], /threshold aperture/);
});

test("the file name is safe and says which cadence", () => {
  assert.equal(exports_.fileName(INFO), "EPIC_221312395_frame_638_cadence_125881.png");
  assert.equal(exports_.fileName({ frame: 0, cadence: "../x" }), "view_frame_0_cadence_.._x.png");
});

test("the image is described by its own stretch or reference", () => {
  assert.equal(exports_.describeImage({ image: "flux", scale: "sqrt", low: 2, high: 98, cmap: "gray" }),
               "flux, sqrt stretch 2–98 % (gray)");
  assert.match(exports_.describeImage({ image: "difference", n: 5, dcmap: "rdbu" }),
               /median of 5 cadences either side \(rdbu\)/);
});
