// The page: pick a model and an X-ray, preprocess per the model's embedded spec (core.js), run
// it with LiteRT.js on WebAssembly, show probability, label and time. Every failure a person can
// cause (a model without spec, an image that does not decode) ends as a message on screen.
import { loadLiteRt, loadAndCompile, Tensor } from '@litertjs/core';
import * as fe from './core.js';

const $ = (id) => document.getElementById(id);
const WASM_DIR = new URL('../node_modules/@litertjs/core/wasm/', import.meta.url).href;
let runtime = null;
let current = null; // {name, info, spec, compiled}

function setState(state) {
  document.body.dataset.state = state;
}

function showError(err) {
  const message = err instanceof fe.FractureEdgeError ? err.message : `Unexpected error: ${err && err.message ? err.message : err}`;
  $('error').textContent = message;
  $('error').hidden = false;
  setState('error');
  window.feError = message;
  if (!(err instanceof fe.FractureEdgeError)) console.error(err);
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
  window.feError = null;
}

function ensureRuntime() {
  if (!runtime) {
    runtime = loadLiteRt(WASM_DIR).catch((e) => {
      runtime = null;
      throw new fe.FractureEdgeError(`could not start LiteRT.js from ${WASM_DIR}: ${e.message}`);
    });
  }
  return runtime;
}

async function setModel(bytes, name) {
  clearError();
  setState('loading-model');
  const info = fe.readModel(bytes, name);
  const spec = fe.checkModel(info);
  fe.checkSupported(spec);
  if (spec.inputDtype === 'int8') {
    throw new fe.FractureEdgeError(`${name}: int8 input tensors are not supported by LiteRT.js; export with uint8 `
      + 'input (the int8 variant does)');
  }
  await ensureRuntime();
  let compiled;
  try {
    compiled = await loadAndCompile(fe.pinBatchDimension(bytes), { accelerator: 'wasm' });
  } catch (e) {
    throw new fe.FractureEdgeError(`${name}: LiteRT.js could not load the model: ${e.message}`);
  }
  // Only a model that loaded replaces the current one.
  if (current) current.compiled.delete();
  current = { name, info, spec, compiled };
  const shipped = fe.operatingPointText(spec);
  $('model-info').textContent = `${name}: ${spec.width}x${spec.height} ${spec.inputDtype} input, `
    + `${fe.preprocessingText(spec)}; labels ${spec.labels.join(' / ')}.`
    + (shipped ? ` Operating point: ${shipped}.` : '');
  setState('model-ready');
}

async function decode(file) {
  let bitmap;
  try {
    // No colour management and no premultiplication: the pixels as stored, as Python decodes them.
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new fe.FractureEdgeError(`Could not decode ${file.name} as an image. Pick a JPEG or PNG X-ray.`);
  }
  const canvas = $('preview');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  canvas.hidden = false;
  const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  return fe.fromRgba(rgba, canvas.width, canvas.height);
}

async function sha256(typed) {
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function classify(file) {
  clearError();
  for (const id of ['probability', 'label', 'time']) $(id).textContent = '–'; // never show a stale result
  window.feResult = null;
  if (!current) throw new fe.FractureEdgeError('Choose a model (.tflite) first.');
  setState('running');
  const { spec, info, compiled } = current;
  const px = await decode(file);
  const t0 = performance.now();
  const x = fe.modelInput(px, spec);
  const t1 = performance.now();
  const input = new Tensor(x, [1, spec.height, spec.width, spec.inputChannels]);
  let outputs;
  try {
    outputs = await compiled.run(input);
  } finally {
    input.delete();
  }
  const raw = outputs[0].toTypedArray()[0];
  const t2 = performance.now();
  for (const t of outputs) t.delete();
  const probability = fe.probability(raw, info.output, spec);
  const label = fe.label(probability, spec);
  $('probability').textContent = probability.toFixed(3);
  $('label').textContent = label;
  $('time').textContent = `${(t2 - t1).toFixed(1)} ms (+${(t1 - t0).toFixed(1)} ms preprocessing)`;
  window.feResult = {
    image: file.name, model: current.name, probability, label, raw,
    inferenceMs: t2 - t1, preprocessMs: t1 - t0,
    inputDtype: spec.inputDtype, inputSha256: await sha256(x), width: px.width, height: px.height,
  };
  setState('result');
}

function guard(fn) {
  return async (event) => {
    const file = event.target.files && event.target.files[0];
    if (!file) return;
    try {
      await fn(file);
    } catch (e) {
      showError(e);
    } finally {
      event.target.value = ''; // picking the same file again runs again
      document.body.dataset.done = String(Number(document.body.dataset.done) + 1); // for tests
    }
  };
}

$('model-file').addEventListener('change', guard(async (file) => setModel(new Uint8Array(await file.arrayBuffer()), file.name)));
$('image-file').addEventListener('change', guard(classify));

// ?model=URL loads a model served next to the page.
(async () => {
  const url = new URLSearchParams(location.search).get('model');
  try {
    if (url) {
      const r = await fetch(url);
      if (!r.ok) throw new fe.FractureEdgeError(`could not fetch model ${url}: HTTP ${r.status}`);
      await setModel(new Uint8Array(await r.arrayBuffer()), url.split('/').pop());
    } else {
      setState('no-model');
    }
  } catch (e) {
    showError(e);
  }
})();
