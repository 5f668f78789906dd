// Runs TensorFlow.js Layers (pure-JS CPU backend) on a batch of Keras models.
//
// usage: node tfjs_predict.mjs JOB.json RESULT.json
// JOB.json = {"node_modules": DIR, "cases": [{"id", "topology", "weights_file",
//             "weights": [{"layer", "shapes"}], "inputs": [[ids...]...]}]}
// weights_file holds every array as little-endian float32, in the order listed.
// RESULT.json = {id: {"outputs": [row...]} | {"error": "..."}}. One process for all cases so
// the tfjs start-up cost is paid once.
import fs from 'fs';
import path from 'path';
import {createRequire} from 'module';

const [jobPath, resultPath] = process.argv.slice(2);
const job = JSON.parse(fs.readFileSync(jobPath, 'utf8'));
const require = createRequire(path.join(job.node_modules, 'noop.js'));
// tfjs prints a hint about tfjs-node on load; keep stdout clean for callers.
const log = console.log;
console.log = () => {};
const tf = require('@tensorflow/tfjs');
console.log = log;

function weightsFor(c) {
  const buf = fs.readFileSync(c.weights_file);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  let offset = 0;
  const out = [];
  for (const w of c.weights) {
    const arrays = w.shapes.map((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const t = tf.tensor(all.slice(offset, offset + n), shape, 'float32');
      offset += n;
      return t;
    });
    out.push([w.layer, arrays]);
  }
  return out;
}

function findLayer(model, name) {
  for (const layer of model.layers) {
    if (layer.name === name) return layer;
  }
  throw new Error(`layer '${name}' not found in the tfjs model`);
}

async function runCase(c) {
  const model = await tf.models.modelFromJSON(c.topology);
  for (const [name, arrays] of weightsFor(c)) {
    if (arrays.length) findLayer(model, name).setWeights(arrays);
  }
  // Rows are id lists, or (several inputs) objects with one array per input name.
  const toTensor = (rows) => tf.tensor(rows, undefined, 'float32');
  const x = (c.inputs.length && !Array.isArray(c.inputs[0]))
      ? model.inputNames.map((name) => toTensor(c.inputs.map((r) => r[name])))
      : toTensor(c.inputs);
  let y = model.predict(x);
  if (Array.isArray(y)) {
    if (y.length !== 1) throw new Error(`model has ${y.length} outputs; one is supported`);
    y = y[0];
  }
  const outputs = await y.array();
  tf.dispose([x, y]);
  model.dispose();
  return outputs;
}

async function main() {
  await tf.setBackend('cpu');
  const results = {};
  for (const c of job.cases) {
    try {
      results[c.id] = {outputs: await runCase(c)};
    } catch (e) {
      results[c.id] = {error: String(e && e.message ? e.message : e).split('\n')[0]};
    }
  }
  fs.writeFileSync(resultPath, JSON.stringify(results));
}

main().catch((e) => {
  console.error(String(e));
  process.exit(1);
});
