// Spec parsing, refusals, rounding and post-processing of the JavaScript port.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fe from '../src/core.js';

export function specJson(extra = {}) {
  return {
    schema: 'fracture_edge.spec', version: 1,
    input: { height: 32, width: 32, dtype: 'float32', quantization: null },
    grayscale: { weights: [0.299, 0.587, 0.114], fixed_point_bits: 14 },
    resize: { interpolation: 'linear' }, clahe: null, blur: null,
    canny: { low: 50.0, high: 150.0, aperture: 3, l2_gradient: false },
    fusion: ['gray', 'edges', 'gray'],
    normalize: { scale: '1/255', mean: [0, 0, 0], std: [1, 1, 1] },
    in_graph: [], labels: ['not fractured', 'fractured'], positive_label: 'fractured',
    threshold: 0.5, temperature: 1.0, ...extra,
  };
}

test('reads the default spec and a fused one', () => {
  const s = fe.parseSpec(JSON.stringify(specJson()));
  assert.deepEqual(s.hostSteps, ['grayscale', 'resize', 'canny', 'fusion', 'normalize']);
  assert.equal(s.inputChannels, 3);
  const f = fe.parseSpec(specJson({ in_graph: ['canny', 'fusion', 'normalize'],
    input: { height: 32, width: 32, dtype: 'uint8', quantization: { scale: 1.0, zero_point: 0 } } }));
  assert.equal(f.fused, true);
  assert.equal(f.inputChannels, 1);
  assert.deepEqual(f.hostSteps, ['grayscale', 'resize', 'quantize']);
});

test('refuses other versions, unknown fields and steps it cannot reproduce', () => {
  assert.throws(() => fe.parseSpec(specJson({ version: 2 })), /unsupported spec version 2/);
  assert.throws(() => fe.parseSpec(specJson({ colour: 1 })), /unknown field\(s\) in spec: colour/);
  assert.throws(() => fe.parseSpec('{'), /spec is not valid JSON/);
  const clahe = fe.parseSpec(specJson({ clahe: { clip_limit: 2, tile_grid: 8 } }));
  assert.throws(() => fe.checkSupported(clahe), /CLAHE/);
  const area = fe.parseSpec(specJson({ resize: { interpolation: 'area' } }));
  assert.throws(() => fe.checkSupported(area), /interpolation 'area' is not supported/);
});

/** An operating point as train --operating-point writes one (made-up numbers). */
const OPERATING_POINT = {
  target_sensitivity: 0.95, confidence: 0.9, sensitivity: 0.9612, sensitivity_interval: [0.951, 0.978],
  specificity: 0.4304, specificity_interval: [0.371, 0.492],
};

test('reads the operating point, and specs without one', () => {
  assert.equal(fe.parseSpec(specJson()).operatingPoint, null);
  assert.equal(fe.parseSpec(specJson({ operating_point: null })).operatingPoint, null);
  assert.deepEqual(fe.parseSpec(specJson({ operating_point: OPERATING_POINT })).operatingPoint, {
    targetSensitivity: 0.95, confidence: 0.9, sensitivity: 0.9612, sensitivityInterval: [0.951, 0.978],
    specificity: 0.4304, specificityInterval: [0.371, 0.492],
  });
});

test('refuses what Python refuses in the operating point', () => {
  const bad = (change) => specJson({ operating_point: { ...OPERATING_POINT, ...change } });
  const cases = [
    [{ bogus: 1 }, 'unknown field(s) in spec.operating_point: bogus'],
    [{ confidence: 1.5 }, 'invalid spec: operating_point.confidence must lie in (0.5, 1)'],
    [{ confidence: '0.9' }, 'invalid spec: operating_point.confidence must be a number'],
    [{ sensitivity: true }, 'invalid spec: operating_point.sensitivity must be a number'],
    [{ target_sensitivity: 0 }, 'invalid spec: operating_point.target_sensitivity must lie in (0, 1]'],
    [{ specificity: 1.2 }, 'invalid spec: operating_point.specificity must lie in [0, 1]'],
    [{ sensitivity_interval: [0.98, 0.95] }, 'invalid spec: operating_point.sensitivity_interval needs 0 <= low <= high <= 1'],
    [{ specificity_interval: [0.4] }, 'invalid spec: operating_point.specificity_interval must be two numbers'],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => fe.parseSpec(bad(change)), (e) => e instanceof fe.FractureEdgeError && e.message === message, message);
  }
  const { specificity, ...missing } = OPERATING_POINT;
  assert.throws(() => fe.parseSpec(specJson({ operating_point: missing })), /spec is missing field 'operating_point.specificity'/);
  assert.throws(() => fe.parseSpec(specJson({ operating_point: [0.9] })), /spec.operating_point must be an object or null/);
});

test('the page says what preprocessing the spec asks for and the operating point it ships with', () => {
  const fused = fe.parseSpec(specJson({ in_graph: ['canny', 'fusion', 'normalize'],
    input: { height: 32, width: 32, dtype: 'uint8', quantization: { scale: 1.0, zero_point: 0 } } }));
  assert.equal(fe.preprocessingText(fused), 'fused (Canny in the model)');
  assert.equal(fe.preprocessingText(fe.parseSpec(specJson())), 'Canny in the page');
  const grayOnly = fe.parseSpec(specJson({ canny: null, fusion: ['gray'], normalize: { scale: '1/255', mean: [0], std: [1] } }));
  assert.equal(fe.preprocessingText(grayOnly), 'gray only (no edge channel)');
  assert.equal(fe.operatingPointText(grayOnly), null);
  const shipped = fe.parseSpec(specJson({ threshold: 0.3127, temperature: 2.5, operating_point: OPERATING_POINT }));
  assert.equal(fe.operatingPointText(shipped), 'threshold 0.313 for sensitivity >= 0.95 at 90 % confidence (expected 0.96, '
    + '80 % interval 0.95-0.98; specificity 0.43, 0.37-0.49; family bootstrap on cross-validation)');
});

test('rint rounds half to even like numpy and Java', () => {
  assert.deepEqual([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4999, 3.5000001].map(fe.rint), [-2, -2, 0, 0, 2, 2, 2, 4]);
});

test('post-processing: dequantize, temperature, threshold', () => {
  const s = fe.parseSpec(specJson({ temperature: 2.0 }));
  const out = { dtype: 'uint8', scale: 0.00390625, zeroPoint: 0 };
  assert.equal(fe.probability(128, out, fe.parseSpec(specJson())), 0.5);
  assert.equal(fe.calibrated(0.9, s), 1 / (1 + Math.exp(-Math.log(9) / 2)));
  assert.equal(fe.label(0.5, s), 'fractured');
  assert.equal(fe.label(0.4999, s), 'not fractured');
});

test('a file that is not a model says so', () => {
  assert.throws(() => fe.readModel(new TextEncoder().encode('hello, world'), 'x.tflite'),
    /x.tflite: not a .tflite model \(no TFL3 identifier\)/);
  const truncated = new Uint8Array(16);
  truncated.set([0xf0, 0, 0, 0, 84, 70, 76, 51]);
  assert.throws(() => fe.readModel(truncated, 'y.tflite'), /y.tflite: corrupt .tflite flatbuffer/);
});
