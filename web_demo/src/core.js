// fracture-edge in JavaScript: read the spec and tensors from a .tflite, preprocess decoded
// pixels exactly as fracture_edge/core/preprocess.py does, and post-process the model's output.
// A port of android_demo/core (Java); both are pinned to Python by golden vectors. No DOM here:
// the page (app.js) and the Node tests (test/*.test.mjs) share this module.

export const METADATA_NAME = 'fracture_edge.spec';
export const SCHEMA = 'fracture_edge.spec';
export const VERSION = 1;
const STEPS = ['grayscale', 'resize', 'clahe', 'blur', 'canny', 'fusion', 'normalize', 'quantize'];
const GRAPH_STEPS = ['canny', 'fusion', 'normalize'];
const TENSOR_TYPES = ['float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16',
  'complex64', 'int8', 'float64', 'complex128', 'uint64', 'resource', 'variant', 'uint32', 'uint16',
  'int4', 'bfloat16'];

/** An expected, user-caused failure; its message is meant for the screen. */
export class FractureEdgeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FractureEdgeError';
  }
}

// ------------------------------------------------------------------------------------ spec
/** Parse and validate spec v1 (fracture_edge/core/spec.py); unknown versions and fields are refused. */
export function parseSpec(text) {
  let d;
  try {
    d = typeof text === 'string' ? JSON.parse(text) : text;
  } catch (e) {
    throw new FractureEdgeError(`spec is not valid JSON: ${e.message}`);
  }
  if (d === null || typeof d !== 'object' || Array.isArray(d)) {
    throw new FractureEdgeError('spec must be a JSON object');
  }
  if (d.schema !== SCHEMA) {
    throw new FractureEdgeError(`not a fracture-edge spec (schema ${JSON.stringify(d.schema)}, expected '${SCHEMA}')`);
  }
  if (d.version !== VERSION) {
    throw new FractureEdgeError(`unsupported spec version ${JSON.stringify(d.version)}: this page reads version ${VERSION}`);
  }
  noUnknown(d, 'spec', ['schema', 'version', 'input', 'grayscale', 'resize', 'clahe', 'blur', 'canny',
    'fusion', 'normalize', 'in_graph', 'labels', 'positive_label', 'threshold', 'temperature', 'operating_point']);
  const input = section(d, 'input', ['height', 'width', 'dtype', 'quantization']);
  const gray = section(d, 'grayscale', ['weights', 'fixed_point_bits']);
  const resize = section(d, 'resize', ['interpolation']);
  const norm = section(d, 'normalize', ['scale', 'mean', 'std']);
  if ((gray.fixed_point_bits ?? 14) !== 14) throw new FractureEdgeError('spec.grayscale.fixed_point_bits must be 14');
  if ((norm.scale ?? '1/255') !== '1/255') throw new FractureEdgeError("spec.normalize.scale must be '1/255'");
  const q = sub(input.quantization, 'input.quantization', ['scale', 'zero_point']);
  const c = sub(d.canny, 'canny', ['low', 'high', 'aperture', 'l2_gradient']);
  const s = {
    height: input.height,
    width: input.width,
    inputDtype: input.dtype ?? 'float32',
    inputQuantization: q && { scale: q.scale, zeroPoint: q.zero_point },
    grayWeights: gray.weights ?? [0.299, 0.587, 0.114],
    interpolation: resize.interpolation ?? 'linear',
    clahe: sub(d.clahe, 'clahe', ['clip_limit', 'tile_grid']),
    blur: sub(d.blur, 'blur', ['ksize', 'sigma']),
    canny: c && { low: c.low ?? 50, high: c.high ?? 150, aperture: c.aperture ?? 3, l2Gradient: c.l2_gradient ?? false },
    fusion: d.fusion ?? [],
    mean: norm.mean ?? [],
    std: norm.std ?? [],
    inGraph: d.in_graph ?? [],
    labels: d.labels,
    positiveLabel: d.positive_label,
    threshold: d.threshold ?? 0.5,
    temperature: d.temperature ?? 1.0,
    operatingPoint: readOperatingPoint(d.operating_point),
  };
  validate(s);
  s.fused = s.inGraph.length > 0;
  s.inputChannels = s.fused ? 1 : s.fusion.length;
  s.hostSteps = STEPS.filter((step) => !s.inGraph.includes(step) && active(s, step));
  return s;
}

/**
 * The spec's optional operating_point (fracture_edge/core/spec.py, OperatingPoint), null when absent:
 * the threshold is the highest at which the family-bootstrap lower bound of sensitivity, one-sided
 * at `confidence`, reaches `targetSensitivity`. Checked as strictly as in Python and Java.
 */
function readOperatingPoint(v) {
  const m = sub(v, 'operating_point', ['target_sensitivity', 'confidence', 'sensitivity', 'sensitivity_interval',
    'specificity', 'specificity_interval']);
  if (m === null) return null;
  const fail = (key, msg) => { throw new FractureEdgeError(`invalid spec: operating_point.${key} ${msg}`); };
  const field = (key) => {
    if (!(key in m)) throw new FractureEdgeError(`spec is missing field 'operating_point.${key}'`);
    return m[key];
  };
  const number = (key) => {
    const x = field(key);
    if (typeof x !== 'number') fail(key, 'must be a number');
    return x;
  };
  const interval = (key) => {
    const x = field(key);
    if (!Array.isArray(x) || x.length !== 2 || x.some((e) => typeof e !== 'number')) fail(key, 'must be two numbers');
    if (!(x[0] >= 0 && x[0] <= x[1] && x[1] <= 1)) fail(key, 'needs 0 <= low <= high <= 1');
    return [x[0], x[1]];
  };
  const op = {
    targetSensitivity: number('target_sensitivity'),
    confidence: number('confidence'),
    sensitivity: number('sensitivity'),
    specificity: number('specificity'),
    sensitivityInterval: interval('sensitivity_interval'),
    specificityInterval: interval('specificity_interval'),
  };
  if (!(op.targetSensitivity > 0 && op.targetSensitivity <= 1)) fail('target_sensitivity', 'must lie in (0, 1]');
  if (!(op.confidence > 0.5 && op.confidence < 1)) fail('confidence', 'must lie in (0.5, 1)');
  if (!(op.sensitivity >= 0 && op.sensitivity <= 1)) fail('sensitivity', 'must lie in [0, 1]');
  if (!(op.specificity >= 0 && op.specificity <= 1)) fail('specificity', 'must lie in [0, 1]');
  return op;
}

/** Where the edge channel comes from, or that there is none (a gray-only spec has no Canny step). */
export function preprocessingText(spec) {
  if (!spec.fusion.includes('edges')) return 'gray only (no edge channel)';
  return spec.inGraph.includes('canny') ? 'fused (Canny in the model)' : 'Canny in the page';
}

/**
 * The threshold, what it promises and what cross-validation measured there, worded as
 * fracture_edge/core/operating_point.py's describe() (the interval's ends are one-sided bounds at the
 * confidence, together a 2c - 1 interval); null when the spec carries no operating point.
 */
export function operatingPointText(spec) {
  const op = spec.operatingPoint;
  if (op === null) return null;
  const percent = (x) => `${Number((100 * x).toFixed(1))} %`;
  const f2 = (x) => x.toFixed(2);
  const [sLo, sHi] = op.sensitivityInterval;
  const [pLo, pHi] = op.specificityInterval;
  return `threshold ${spec.threshold.toFixed(3)} for sensitivity >= ${f2(op.targetSensitivity)} at ${percent(op.confidence)} `
    + `confidence (expected ${f2(op.sensitivity)}, ${percent(2 * op.confidence - 1)} interval ${f2(sLo)}-${f2(sHi)}; `
    + `specificity ${f2(op.specificity)}, ${f2(pLo)}-${f2(pHi)}; family bootstrap on cross-validation)`;
}

function active(s, step) {
  if (step === 'clahe') return s.clahe !== null;
  if (step === 'blur') return s.blur !== null;
  if (step === 'canny') return s.canny !== null;
  if (step === 'quantize') return s.inputQuantization !== null;
  return true;
}

function validate(s) {
  const fail = (m) => { throw new FractureEdgeError(`invalid spec: ${m}`); };
  if (!Number.isInteger(s.height) || !Number.isInteger(s.width)) fail('input height and width must be integers');
  if (s.height < 16 || s.width < 16) fail(`input size ${s.height}x${s.width} is below 16`);
  if (s.grayWeights.length !== 3 || Math.abs(s.grayWeights[0] + s.grayWeights[1] + s.grayWeights[2] - 1) > 1e-6) {
    fail('grayscale weights must be three numbers summing to 1');
  }
  if (!['linear', 'area', 'nearest'].includes(s.interpolation)) fail(`interpolation '${s.interpolation}' not one of linear, area, nearest`);
  if (!s.fusion.length || s.fusion.some((ch) => ch !== 'gray' && ch !== 'edges')) fail('fusion must list channels from gray, edges');
  if (s.fusion.includes('edges') && s.canny === null) fail("fusion uses 'edges' but canny is null");
  if (s.mean.length !== s.fusion.length || s.std.length !== s.fusion.length) fail('normalize mean/std need one value per fused channel');
  if (s.std.some((v) => !(v > 0))) fail('normalize std must be positive');
  if (s.canny) {
    if (![3, 5, 7].includes(s.canny.aperture)) fail('canny aperture must be 3, 5 or 7');
    if (!(s.canny.low >= 0 && s.canny.low <= s.canny.high)) fail('canny thresholds need 0 <= low <= high');
  }
  if (!['float32', 'uint8', 'int8'].includes(s.inputDtype)) fail(`input dtype '${s.inputDtype}' not one of float32, uint8, int8`);
  if ((s.inputDtype === 'float32') !== (s.inputQuantization === null)) {
    fail('input quantization is required for integer inputs and forbidden for float32');
  }
  if (s.inGraph.length) {
    const start = GRAPH_STEPS.indexOf(s.inGraph[0]);
    if (start < 0 || s.inGraph.join() !== GRAPH_STEPS.slice(start).join()) {
      fail(`in_graph must be a trailing run of canny, fusion, normalize, got ${JSON.stringify(s.inGraph)}`);
    }
  }
  if (!Array.isArray(s.labels) || s.labels.length !== 2 || !s.labels.includes(s.positiveLabel)) {
    fail('labels must be two names and include positive_label');
  }
  if (!(s.threshold >= 0 && s.threshold <= 1)) fail('threshold must lie in [0, 1]');
  if (!(s.temperature > 0)) fail('temperature must be positive');
}

function noUnknown(d, where, allowed) {
  const unknown = Object.keys(d).filter((k) => !allowed.includes(k)).sort();
  if (unknown.length) throw new FractureEdgeError(`unknown field(s) in ${where}: ${unknown.join(', ')}`);
}

function section(d, key, allowed) {
  const v = d[key];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FractureEdgeError(`spec.${key} must be an object`);
  noUnknown(v, `spec.${key}`, allowed);
  return v;
}

function sub(v, where, allowed) {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new FractureEdgeError(`spec.${where} must be an object or null`);
  noUnknown(v, `spec.${where}`, allowed);
  return v;
}

// ------------------------------------------------------------------------------------ .tflite
/**
 * Read the metadata entries and the first subgraph's input/output tensors of a .tflite file
 * (a little-endian flatbuffer; field numbers from TFLite's schema.fbs).
 */
export function readModel(bytes, name = 'model') {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (u8.length < 8 || String.fromCharCode(u8[4], u8[5], u8[6], u8[7]) !== 'TFL3') {
    throw new FractureEdgeError(`${name}: not a .tflite model (no TFL3 identifier)`);
  }
  const corrupt = () => new FractureEdgeError(`${name}: corrupt .tflite flatbuffer`);
  const check = (pos, n) => { if (pos < 0 || pos + n > u8.length) throw corrupt(); return pos; };
  const i32 = (p) => dv.getInt32(check(p, 4), true);
  const u32 = (p) => dv.getUint32(check(p, 4), true);
  const field = (table, index) => {
    const vt = table - i32(table);
    const size = dv.getUint16(check(vt, 2), true);
    const off = 4 + 2 * index;
    if (off >= size) return -1;
    const rel = dv.getUint16(check(vt + off, 2), true);
    return rel === 0 ? -1 : table + rel;
  };
  const indirect = (p) => check(p + u32(p), 4);
  const vector = (table, index) => { const p = field(table, index); return p < 0 ? -1 : indirect(p); };
  const len = (v) => (v < 0 ? 0 : u32(v));
  const slice = (pos, n) => u8.slice(check(pos, n), pos + n);
  const u64 = (table, index) => { const p = field(table, index); return p < 0 ? 0 : Number(dv.getBigUint64(check(p, 8), true)); };

  const root = u32(0);
  const metadata = new Map();
  const mds = vector(root, 6);
  const buffers = vector(root, 4);
  for (let k = 0; k < len(mds); k++) {
    const md = indirect(mds + 4 + 4 * k);
    const nv = vector(md, 0);
    const key = new TextDecoder().decode(slice(nv + 4, len(nv)));
    const bp = field(md, 1);
    const index = bp < 0 ? 0 : u32(bp);
    if (index >= len(buffers)) throw corrupt();
    const b = indirect(buffers + 4 + 4 * index);
    const offset = u64(b, 1);
    if (offset > 1) {
      metadata.set(key, slice(offset, u64(b, 2)));
    } else {
      const data = vector(b, 0);
      metadata.set(key, data < 0 ? new Uint8Array(0) : slice(data + 4, len(data)));
    }
  }
  const graphs = vector(root, 2);
  if (len(graphs) === 0) throw new FractureEdgeError(`${name}: .tflite has no subgraph`);
  const graph = indirect(graphs + 4);
  const tensor = (which) => {
    const ios = vector(graph, which);
    const tensors = vector(graph, 0);
    if (len(ios) === 0) throw new FractureEdgeError(`${name}: .tflite subgraph has no ${which === 1 ? 'input' : 'output'}`);
    const index = i32(ios + 4);
    if (index < 0 || index >= len(tensors)) throw corrupt();
    const t = indirect(tensors + 4 + 4 * index);
    const sv = vector(t, 0);
    const shape = [];
    for (let k = 0; k < len(sv); k++) shape.push(i32(sv + 4 + 4 * k));
    const tp = field(t, 1);
    const type = tp < 0 ? 0 : dv.getInt8(check(tp, 1));
    let scale = 0;
    let zeroPoint = 0;
    const qp = field(t, 4);
    if (qp >= 0) {
      const qt = indirect(qp);
      const sc = vector(qt, 2);
      const zp = vector(qt, 3);
      if (len(sc) > 0) scale = dv.getFloat32(check(sc + 4, 4), true);
      if (len(zp) > 0) zeroPoint = Number(dv.getBigInt64(check(zp + 4, 8), true));
    }
    return { dtype: TENSOR_TYPES[type] ?? `type${type}`, shape, scale, zeroPoint };
  };
  return { name, metadata, input: tensor(1), output: tensor(2) };
}

/**
 * A copy of the model with every tensor's dynamic batch dimension (shape_signature[0] == -1)
 * pinned to 1. Exports keep a dynamic batch for Python; LiteRT.js 2.5 refuses a batch-1
 * tensor for a [-1, ...] input, and the page only ever runs batch 1, so nothing else changes.
 */
export function pinBatchDimension(bytes) {
  const u8 = new Uint8Array(bytes);
  const dv = new DataView(u8.buffer);
  const u32 = (p) => dv.getUint32(p, true);
  const field = (table, index) => {
    const vt = table - dv.getInt32(table, true);
    const off = 4 + 2 * index;
    if (off >= dv.getUint16(vt, true)) return -1;
    const rel = dv.getUint16(vt + off, true);
    return rel === 0 ? -1 : table + rel;
  };
  const vector = (table, index) => { const p = field(table, index); return p < 0 ? -1 : p + u32(p); };
  const graphs = vector(u32(0), 2);
  for (let g = 0; graphs >= 0 && g < u32(graphs); g++) {
    const graph = graphs + 4 + 4 * g + u32(graphs + 4 + 4 * g);
    const tensors = vector(graph, 0);
    for (let t = 0; tensors >= 0 && t < u32(tensors); t++) {
      const tensor = tensors + 4 + 4 * t + u32(tensors + 4 + 4 * t);
      const sig = vector(tensor, 7); // Tensor.shape_signature
      if (sig >= 0 && u32(sig) > 0 && dv.getInt32(sig + 4, true) === -1) dv.setInt32(sig + 4, 1, true);
    }
  }
  return u8;
}

/** The spec embedded in a model read by readModel; a clear error when there is none. */
export function modelSpec(model) {
  const json = model.metadata.get(METADATA_NAME);
  if (!json) {
    throw new FractureEdgeError(`${model.name}: .tflite has no fracture-edge spec (metadata '${METADATA_NAME}'); `
      + 'export it with `fracture-edge export`');
  }
  return parseSpec(new TextDecoder().decode(json));
}

/** Check that the model's input tensor is what its spec says; returns the spec. */
export function checkModel(model) {
  const spec = modelSpec(model);
  const expected = [1, spec.height, spec.width, spec.inputChannels];
  if (model.input.shape.join() !== expected.join() || model.input.dtype !== spec.inputDtype) {
    throw new FractureEdgeError(`${model.name}: model input [${model.input.shape}] ${model.input.dtype} does not `
      + `match its spec [${expected}] ${spec.inputDtype}`);
  }
  if (!['float32', 'uint8', 'int8'].includes(model.output.dtype)) {
    throw new FractureEdgeError(`${model.name}: model output type ${model.output.dtype} is not supported`);
  }
  return spec;
}

// ------------------------------------------------------------------------------------ preprocessing
/** Round half to even (numpy's rint, Java's Math.rint). */
export function rint(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Refuse steps this port cannot reproduce bit for bit, with a message for the screen. */
export function checkSupported(spec) {
  if (spec.hostSteps.includes('clahe')) {
    throw new FractureEdgeError('the spec asks for CLAHE, which this page does not implement (it cannot yet '
      + "reproduce OpenCV's CLAHE bit for bit); export a model without CLAHE");
  }
  if (spec.hostSteps.includes('blur')) {
    throw new FractureEdgeError('the spec asks for a Gaussian blur, which this page does not implement (it cannot '
      + "yet reproduce OpenCV's blur bit for bit); export a model without blur");
  }
  if (spec.interpolation !== 'linear' && spec.interpolation !== 'nearest') {
    throw new FractureEdgeError(`resize interpolation '${spec.interpolation}' is not supported by this page (it cannot `
      + `reproduce OpenCV's ${spec.interpolation} resize bit for bit); train and export with 'linear' or 'nearest'`);
  }
}

/** Pixels {width, height, channels (1 or 3), data: Uint8Array} to gray, 14-bit fixed point. */
export function toGray(px, spec) {
  if (px.channels === 1) return px.data.slice();
  const r = rint(spec.grayWeights[0] * 16384);
  const b = rint(spec.grayWeights[2] * 16384);
  const g = 16384 - r - b;
  const n = px.width * px.height;
  const out = new Uint8Array(n);
  const d = px.data;
  for (let k = 0; k < n; k++) {
    out[k] = (d[3 * k] * r + d[3 * k + 1] * g + d[3 * k + 2] * b + 8192) >> 14;
  }
  return out;
}

/** RGBA from a canvas (ImageData.data) to RGB pixels; alpha is dropped. */
export function fromRgba(rgba, width, height) {
  const data = new Uint8Array(width * height * 3);
  for (let k = 0; k < width * height; k++) {
    data[3 * k] = rgba[4 * k];
    data[3 * k + 1] = rgba[4 * k + 1];
    data[3 * k + 2] = rgba[4 * k + 2];
  }
  return { width, height, channels: 3, data };
}

function linearCoeffs(srcSize, dstSize) {
  const scale = 1 / (dstSize / srcSize);
  const ofs = new Int32Array(dstSize);
  const w0 = new Int32Array(dstSize);
  const w1 = new Int32Array(dstSize);
  for (let d = 0; d < dstSize; d++) {
    const f = scale * (d + 0.5) - 0.5;
    const i = Math.floor(f);
    if (i >= 0 && srcSize > 1 && i < srcSize - 1) {
      const c1 = rint((f - i) * 256);
      ofs[d] = i;
      w1[d] = c1;
      w0[d] = 256 - c1;
    } else {
      ofs[d] = i >= 0 && srcSize > 1 ? srcSize - 1 : 0;
      w0[d] = 256;
      w1[d] = 0;
    }
  }
  return { ofs, w0, w1 };
}

/** cv2.INTER_LINEAR_EXACT: 8-bit fixed-point weights, rows then columns, rounded half up. */
function linearExact(src, sw, sh, dw, dh) {
  const cx = linearCoeffs(sw, dw);
  const cy = linearCoeffs(sh, dh);
  const rows = new Int32Array(sh * dw);
  for (let y = 0; y < sh; y++) {
    const base = y * sw;
    for (let x = 0; x < dw; x++) {
      const o = cx.ofs[x];
      rows[y * dw + x] = cx.w0[x] * src[base + o] + (cx.w1[x] === 0 ? 0 : cx.w1[x] * src[base + o + 1]);
    }
  }
  const dst = new Uint8Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    const o = cy.ofs[y];
    const w0 = cy.w0[y];
    const w1 = cy.w1[y];
    for (let x = 0; x < dw; x++) {
      const acc = w0 * rows[o * dw + x] + (w1 === 0 ? 0 : w1 * rows[(o + 1) * dw + x]);
      dst[y * dw + x] = Math.min((acc + 32768) >> 16, 255);
    }
  }
  return dst;
}

/** cv2.INTER_NEAREST_EXACT: 16-bit fixed-point steps sampling pixel centres. */
function nearestExact(src, sw, sh, dw, dh) {
  const ifx = Math.floor(((sw << 16) + Math.floor(dw / 2)) / dw);
  const ifx0 = Math.trunc(ifx / 2) - (sw % 2);
  const ify = Math.floor(((sh << 16) + Math.floor(dh / 2)) / dh);
  const ify0 = Math.trunc(ify / 2) - (sh % 2);
  const xo = new Int32Array(dw);
  for (let x = 0; x < dw; x++) xo[x] = Math.min((ifx * x + ifx0) >> 16, sw - 1);
  const dst = new Uint8Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    const sy = Math.min((ify * y + ify0) >> 16, sh - 1);
    for (let x = 0; x < dw; x++) dst[y * dw + x] = src[sy * sw + xo[x]];
  }
  return dst;
}

export function resize(gray, width, height, spec) {
  if (width === spec.width && height === spec.height) return gray.slice();
  if (spec.interpolation === 'linear') return linearExact(gray, width, height, spec.width, spec.height);
  if (spec.interpolation === 'nearest') return nearestExact(gray, width, height, spec.width, spec.height);
  checkSupported(spec);
  return null;
}

const SMOOTH = { 3: [1, 2, 1], 5: [1, 4, 6, 4, 1], 7: [1, 6, 15, 20, 15, 6, 1] };
const DERIV = { 3: [-1, 0, 1], 5: [-1, -2, 0, 2, 1], 7: [-1, -4, -5, 0, 5, 4, 1] };
const TG22 = Math.floor(0.4142135623730950488016887242097 * (1 << 15) + 0.5);

function sobel(src, w, h, kx, ky, shift) {
  const r = kx.length >> 1;
  const tmp = new Int32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = 0; k < kx.length; k++) acc += kx[k] * src[y * w + Math.min(Math.max(x + k - r, 0), w - 1)];
      tmp[y * w + x] = acc;
    }
  }
  const out = new Int32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = 0; k < ky.length; k++) acc += ky[k] * tmp[Math.min(Math.max(y + k - r, 0), h - 1) * w + x];
      const v = shift === 0 ? acc : rint(acc / (1 << shift));
      out[y * w + x] = Math.max(-32768, Math.min(32767, v));
    }
  }
  return out;
}

/** cv2.Canny on the resized gray image: edges 255, else 0. */
export function canny(src, w, h, c) {
  let lowT = Math.min(c.low, c.high);
  let highT = Math.max(c.low, c.high);
  const shift = c.aperture === 7 ? 4 : 0; // OpenCV scales aperture-7 derivatives and thresholds by 1/16
  if (c.aperture === 7) { lowT /= 16; highT /= 16; }
  const dx = sobel(src, w, h, DERIV[c.aperture], SMOOTH[c.aperture], shift);
  const dy = sobel(src, w, h, SMOOTH[c.aperture], DERIV[c.aperture], shift);
  if (c.l2Gradient) {
    lowT = Math.min(32767, lowT);
    highT = Math.min(32767, highT);
    if (lowT > 0) lowT *= lowT;
    if (highT > 0) highT *= highT;
  }
  const low = Math.floor(lowT);
  const high = Math.floor(highT);
  const mw = w + 2;
  const mag = new Int32Array(mw * (h + 2));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const a = dx[y * w + x];
      const b = dy[y * w + x];
      mag[(y + 1) * mw + x + 1] = c.l2Gradient ? (a * a + b * b) | 0 : Math.abs(a) + Math.abs(b);
    }
  }
  const map = new Uint8Array(mw * (h + 2)).fill(1); // 0 may be an edge, 1 is not, 2 is
  const stack = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y + 1) * mw + x + 1;
      const m = mag[p];
      let candidate = false;
      if (m > low) {
        const xs = dx[y * w + x];
        const ys = dy[y * w + x];
        const ax = Math.abs(xs);
        const ay = Math.abs(ys) << 15;
        const tg22x = (ax * TG22) | 0;
        if (ay < tg22x) {
          candidate = m > mag[p - 1] && m >= mag[p + 1];
        } else {
          const tg67x = (tg22x + (ax << 16)) | 0;
          if (ay > tg67x) {
            candidate = m > mag[p - mw] && m >= mag[p + mw];
          } else {
            const s = (xs ^ ys) < 0 ? -1 : 1;
            candidate = m > mag[p - mw - s] && m > mag[p + mw + s];
          }
        }
      }
      if (!candidate) {
        map[p] = 1;
      } else if (m > high) {
        map[p] = 2;
        stack.push(p);
      } else {
        map[p] = 0;
      }
    }
  }
  const nb = [-1, 1, -mw - 1, -mw, -mw + 1, mw - 1, mw, mw + 1];
  while (stack.length) {
    const p = stack.pop();
    for (const d of nb) {
      if (map[p + d] === 0) {
        map[p + d] = 2;
        stack.push(p + d);
      }
    }
  }
  const dst = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) dst[y * w + x] = map[(y + 1) * mw + x + 1] === 2 ? 255 : 0;
  }
  return dst;
}

const INV255 = Math.fround(1 / 255);

function quantize(x, spec) {
  const scale = Math.fround(spec.inputQuantization.scale);
  const zp = spec.inputQuantization.zeroPoint;
  const unsigned = spec.inputDtype === 'uint8';
  const out = unsigned ? new Uint8Array(x.length) : new Int8Array(x.length);
  const lo = unsigned ? 0 : -128;
  const hi = unsigned ? 255 : 127;
  for (let k = 0; k < x.length; k++) {
    const v = Math.fround(rint(Math.fround(x[k] / scale)) + zp);
    out[k] = Math.max(lo, Math.min(hi, v));
  }
  return out;
}

/**
 * Resized gray image to the model's input tensor (H, W, C, channels last), running only the
 * spec's host steps: Float32Array, Uint8Array or Int8Array.
 */
export function tensorFromGray(gray, spec) {
  const hw = spec.width * spec.height;
  if (spec.fused) {
    const f = new Float32Array(hw);
    for (let k = 0; k < hw; k++) f[k] = gray[k];
    return spec.inputQuantization ? quantize(f, spec) : f;
  }
  const c = spec.fusion.length;
  const edges = spec.fusion.includes('edges') ? canny(gray, spec.width, spec.height, spec.canny) : null;
  const planes = spec.fusion.map((ch) => (ch === 'gray' ? gray : edges));
  const mean = spec.mean.map(Math.fround);
  const std = spec.std.map(Math.fround);
  const x = new Float32Array(hw * c);
  for (let k = 0; k < hw; k++) {
    for (let ch = 0; ch < c; ch++) {
      const v = Math.fround(planes[ch][k] * INV255);
      x[k * c + ch] = Math.fround(v - mean[ch]) / std[ch];
    }
  }
  return spec.inputQuantization ? quantize(x, spec) : x;
}

/** Decoded pixels to the exact tensor the model takes. */
export function modelInput(px, spec) {
  checkSupported(spec);
  return tensorFromGray(resize(toGray(px, spec), px.width, px.height, spec), spec);
}

// ------------------------------------------------------------------------------------ output
/** The output tensor's first value (as stored) to the calibrated positive-class probability. */
export function probability(raw, output, spec) {
  const p = output.dtype === 'float32' ? Math.fround(raw) : Math.fround(Math.fround(raw - output.zeroPoint) * output.scale);
  return calibrated(p, spec);
}

export function calibrated(prob, spec) {
  if (spec.temperature === 1) return prob;
  const p = Math.min(Math.max(prob, 1e-7), 1 - 1e-7);
  return 1 / (1 + Math.exp(-Math.log(p / (1 - p)) / spec.temperature));
}

export function label(prob, spec) {
  const negative = spec.labels[1 - spec.labels.indexOf(spec.positiveLabel)];
  return prob >= spec.threshold ? spec.positiveLabel : negative;
}
