// ONNX Runtime peer of `quiver bench` (npm onnxruntime-node, CPU execution provider).
// node bench/ort_bench.mjs MODEL.onnx --batch B --seq-len T --threads N [--seconds S]
//      [--check INPUTS.jsonl OUT.jsonl]
// Creates one session (timed: load_ms) with intraOpNumThreads = N, interOpNumThreads = 1,
// sequential execution, all graph optimisations; with --check, writes the model's outputs for
// the rows of INPUTS.jsonl to OUT.jsonl (one JSON array a line); then times run() on random
// ids in [1, 2000) like quiver bench and prints the same one-line JSON form.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const npmDir = process.env.QUIVER_NPM_DIR || path.join(here, '..', 'third_party', 'npm');
const ort = createRequire(path.join(npmDir, 'package.json'))('onnxruntime-node');

function parseArgs(argv) {
  const a = { model: argv[0], batch: 1, seqLen: 40, threads: 1, seconds: 3, vocab: 2000 };
  for (let i = 1; i < argv.length; ++i) {
    const k = argv[i];
    if (k === '--batch') a.batch = Number(argv[++i]);
    else if (k === '--seq-len') a.seqLen = Number(argv[++i]);
    else if (k === '--threads') a.threads = Number(argv[++i]);
    else if (k === '--seconds') a.seconds = Number(argv[++i]);
    else if (k === '--vocab') a.vocab = Number(argv[++i]);
    else if (k === '--check') { a.checkIn = argv[++i]; a.checkOut = argv[++i]; }
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

function idsTensor(rows, seqLen) {
  const data = new BigInt64Array(rows.length * seqLen);
  rows.forEach((r, i) => r.forEach((v, j) => { data[i * seqLen + j] = BigInt(v); }));
  return new ort.Tensor('int64', data, [rows.length, seqLen]);
}

async function check(session, a) {
  const rows = fs.readFileSync(a.checkIn, 'utf8').split('\n').filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  const out = (await session.run({ ids: idsTensor(rows, a.seqLen) })).probs;
  const width = out.dims[1];
  const lines = rows.map((_, i) => JSON.stringify(Array.from(out.data.slice(i * width,
                                                                             (i + 1) * width))));
  fs.writeFileSync(a.checkOut, lines.join('\n') + '\n');
}

function quantile(v, q) {
  const s = [...v].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(a.model, {
    intraOpNumThreads: a.threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all', executionProviders: ['cpu'],
  });
  const loadMs = performance.now() - t0;
  if (a.checkIn) await check(session, a);
  let seed = 12345;  // a small LCG: seeded, valid ids in [1, vocab)
  const rows = Array.from({ length: a.batch }, () => Array.from({ length: a.seqLen }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 1 + (seed % (a.vocab - 1));
  }));
  const feeds = { ids: idsTensor(rows, a.seqLen) };
  const warm = performance.now();
  for (let i = 0; i < 2 || performance.now() - warm < a.seconds * 100; ++i) await session.run(feeds);
  const times = [];
  const start = performance.now();
  while (times.length === 0 || performance.now() - start < a.seconds * 1000) {
    const s = performance.now();
    await session.run(feeds);
    times.push(performance.now() - s);
  }
  const total = performance.now() - start;
  console.log(JSON.stringify({
    batch: a.batch, seq_len: a.seqLen, threads: a.threads,
    median_ms: +quantile(times, 0.5).toFixed(4), p90_ms: +quantile(times, 0.9).toFixed(4),
    sentences_per_s: +(a.batch * times.length * 1000 / total).toFixed(1),
    load_ms: +loadMs.toFixed(2), rss_mb: +(process.memoryUsage().rss / 1048576).toFixed(1),
  }));
}

main().catch((e) => { console.error(`ort_bench: ${e.message}`); process.exit(1); });
