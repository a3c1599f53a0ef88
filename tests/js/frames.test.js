// The frame painter's pure parts (assets/frames.js): reading a batch, colouring as plotly.js
// colours a heatmap, and which batches to let go.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const frames = require("../../assets/frames.js");

function batch(header, pixels) {
  let text = JSON.stringify(header);
  while ((4 + text.length) % 4) text += " ";
  const bytes = new Uint8Array(4 + text.length + 4 * pixels.length);
  new DataView(bytes.buffer).setUint32(0, text.length, true);
  bytes.set(new TextEncoder().encode(text), 4);
  new Float32Array(bytes.buffer, 4 + text.length).set(pixels);
  return bytes.buffer;
}

test("a batch is its header and its float32 frames", () => {
  const parsed = frames.parseBatch(batch({ first: 40, count: 2, shape: [2, 3], readouts: [["a"], ["b"]], levels: null },
                                         [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, NaN]));
  assert.equal(parsed.first, 40);
  assert.equal(parsed.rows, 2);
  assert.equal(parsed.columns, 3);
  assert.deepEqual(Array.from(parsed.pixels.slice(0, 6)), [1, 2, 3, 4, 5, 6]);
  assert.ok(Number.isNaN(parsed.pixels[11]));
  assert.deepEqual(parsed.readouts[1], ["b"]);
});

test("colours interpolate linearly between the stops, clipped at the ends", () => {
  const stops = frames.colourStops([[0, "rgb(0, 0, 0)"], [0.5, "#ff0000"], [1, "rgb(255,255,255)"]]);
  const out = new Uint8ClampedArray(4);
  frames.colour(stops, 0.25, out, 0);
  assert.deepEqual(Array.from(out.slice(0, 3)), [128, 0, 0]);   // halfway black -> red
  frames.colour(stops, 0.75, out, 0);
  assert.deepEqual(Array.from(out.slice(0, 3)), [255, 128, 128]);
  frames.colour(stops, -3, out, 0);
  assert.deepEqual(Array.from(out.slice(0, 3)), [0, 0, 0]);
  frames.colour(stops, 9, out, 0);
  assert.deepEqual(Array.from(out.slice(0, 3)), [255, 255, 255]);
  assert.deepEqual(frames.colourStops([[0, "#abc"]])[0][1], [170, 187, 204]);
});

test("a frame's image puts row 0 at the bottom and leaves NaN clear", () => {
  const stops = frames.colourStops([[0, "rgb(0,0,0)"], [1, "rgb(255,255,255)"]]);
  // 2 rows x 2 columns: row 0 = [0, 10], row 1 = [NaN, 5]
  const pixels = new Float32Array([0, 10, NaN, 5]);
  const out = frames.frameImage(pixels, 0, 2, 2, [0, 10], stops, false, true,
                                new Uint8ClampedArray(16));
  // Flipped: image line 0 is the stamp's row 1.
  assert.equal(out[3], 0);                          // NaN: transparent
  assert.deepEqual(Array.from(out.slice(4, 8)), [128, 128, 128, 255]);
  assert.deepEqual(Array.from(out.slice(8, 12)), [0, 0, 0, 255]);
  assert.deepEqual(Array.from(out.slice(12, 16)), [255, 255, 255, 255]);
});

test("the farthest batches from the cursor go first when over the budget", () => {
  const b = (first) => ({ first, pixels: { byteLength: 100 } });
  assert.deepEqual(frames.batchesToForget([b(0), b(100), b(200), b(300)], 120, 250), [300, 0]);
  assert.deepEqual(frames.batchesToForget([b(0), b(100)], 0, 1000), []);
});

test("the batches fetched for a frame: its own and the next, the one before in its first half", () => {
  assert.deepEqual(frames.batchesFor(0, 256, 20000), [0, 256]);
  assert.deepEqual(frames.batchesFor(300, 256, 20000), [256, 512, 0]);
  assert.deepEqual(frames.batchesFor(500, 256, 20000), [256, 512]);
  assert.deepEqual(frames.batchesFor(19999, 256, 20000), [19968, 19712]);  // none after it
  assert.deepEqual(frames.batchesFor(19999, 16, 20000), [19984]);
  // A frame the source does not have (a new 10-frame file's source, the old file's frame
  // 311 still wanted): nothing is asked for, where a request for frames 304.. was refused.
  assert.deepEqual(frames.batchesFor(311, 8, 10), []);
  assert.deepEqual(frames.batchesFor(-1, 8, 10), []);
  assert.deepEqual(frames.batchesFor(9, 8, 10), [8, 0]);
});
