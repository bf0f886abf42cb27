// The JavaScript port against Python's golden vectors (fracture_edge/core/golden.py), step by step.
// GOLDEN_DIR picks the folder; default: the small committed set shared with the Java core.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as fe from '../src/core.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = process.env.GOLDEN_DIR || join(here, '..', '..', 'android_demo', 'core', 'src', 'test', 'resources', 'golden');
const index = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8'));
const FLOAT_TOL = 1e-6;

function load(entry) {
  const b = readFileSync(join(root, entry.file));
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  if (entry.dtype === 'float32') return new Float32Array(buf);
  if (entry.dtype === 'int8') return new Int8Array(buf);
  return new Uint8Array(buf);
}

/** Null when equal (within tol), else where the first difference is and how many there are. */
export function compare(what, expected, actual, tol) {
  if (expected.length !== actual.length) return `${what}: ${actual.length} elements, expected ${expected.length}`;
  let bad = 0;
  let first = -1;
  for (let k = 0; k < expected.length; k++) {
    if (!(Math.abs(expected[k] - actual[k]) <= tol)) {
      if (first < 0) first = k;
      bad++;
    }
  }
  return bad ? `${what}: ${bad} of ${expected.length} differ; first at ${first}: expected ${expected[first]}, got ${actual[first]}` : null;
}

const images = Object.fromEntries(index.images.map((im) => [im.name, im]));
function pixels(name) {
  const im = images[name];
  return { height: im.shape[0], width: im.shape[1], channels: im.shape.length === 3 ? im.shape[2] : 1, data: load(im) };
}

for (const c of index.cases) {
  test(c.name, () => {
    const spec = fe.parseSpec(index.specs[c.spec]);
    const px = pixels(c.image);
    const gray = fe.toGray(px, spec);
    assert.equal(compare('gray', load(c.steps.gray), gray, 0), null);
    const resized = fe.resize(gray, px.width, px.height, spec);
    assert.equal(compare('resized', load(c.steps.resized), resized, 0), null);
    if (c.steps.edges) {
      assert.equal(compare('edges', load(c.steps.edges), fe.canny(resized, spec.width, spec.height, spec.canny), 0), null);
    }
    const x = fe.modelInput(px, spec);
    const dtype = { Float32Array: 'float32', Uint8Array: 'uint8', Int8Array: 'int8' }[x.constructor.name];
    assert.equal(dtype, c.input.dtype);
    assert.equal(compare('input', load(c.input), x, dtype === 'float32' ? FLOAT_TOL : 0), null);
  });
}

test("Python's operating points read number for number", () => {
  const written = Object.values(index.specs).filter((d) => d.operating_point);
  assert.ok(written.length, 'no golden spec has an operating point');
  for (const d of written) {
    const op = d.operating_point;
    assert.deepEqual(fe.parseSpec(d).operatingPoint, {
      targetSensitivity: op.target_sensitivity, confidence: op.confidence, sensitivity: op.sensitivity,
      sensitivityInterval: op.sensitivity_interval, specificity: op.specificity, specificityInterval: op.specificity_interval,
    });
  }
});

test('a one-pixel difference is caught', () => {
  const c = index.cases.find((k) => k.input.dtype === 'float32');
  const x = fe.modelInput(pixels(c.image), fe.parseSpec(index.specs[c.spec]));
  x[Math.floor(x.length / 2)] += 1 / 255;
  assert.match(compare('input', load(c.input), x, FLOAT_TOL), /^input: 1 of \d+ differ/);
});
