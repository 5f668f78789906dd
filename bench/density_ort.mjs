// ONNX Runtime peer of bench/density.sh: N sessions (npm onnxruntime-node, CPU, one
// intra-op thread each, as bench/ort_bench.mjs) in one node process, made from
// DIR/model_0000.onnx ... (bench/density_models.py --onnx). Prints one JSON line: the time
// to create every session, the process RSS (/proc/self/status VmRSS) after that and after
// the run, and the latency of single-row runs (40 ids) for SECONDS at RATE runs per second,
// each on a model drawn like bench/density_post.lua (zipf s = 1.1 or uniform). In-process:
// no HTTP, no JSON, unlike the quiver side.
// node bench/density_ort.mjs DIR N zipf|uniform RATE SECONDS
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const npmDir = process.env.QUIVER_NPM_DIR || path.join(here, '..', 'third_party', 'npm');
const ort = createRequire(path.join(npmDir, 'package.json'))('onnxruntime-node');

const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const quantile = (v, q) => { const s = [...v].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))]; };

async function main() {
  const [dir, nArg, dist, rateArg, secondsArg] = process.argv.slice(2);
  const n = Number(nArg), rate = Number(rateArg), seconds = Number(secondsArg);
  const t0 = performance.now();
  const sessions = [];
  for (let i = 0; i < n; ++i) {
    sessions.push(await ort.InferenceSession.create(
        path.join(dir, `model_${String(i).padStart(4, '0')}.onnx`),
        { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
          graphOptimizationLevel: 'all', executionProviders: ['cpu'] }));
  }
  const loadS = (performance.now() - t0) / 1000;
  const rssLoaded = rssMb();
  const cdf = [];
  let total = 0;
  for (let i = 1; i <= n; ++i) { total += dist === 'zipf' ? 1 / i ** 1.1 : 1; cdf.push(total); }
  const pick = () => { const u = Math.random() * total; let i = 0; while (cdf[i] < u) ++i; return i; };
  const ids = [5, 17, 300, 42, 1999, ...Array.from({ length: 35 }, (_, k) => k + 7)];
  const feeds = { ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, 40]) };
  const times = [];
  const start = performance.now();
  for (let k = 0; performance.now() - start < seconds * 1000; ++k) {
    const due = start + (k * 1000) / rate;  // fixed rate: wait for the request's slot
    while (performance.now() < due) await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    const s = performance.now();
    await sessions[pick()].run(feeds);
    times.push(performance.now() - s);
  }
  console.log(JSON.stringify({
    models: n, dist, load_s: +loadS.toFixed(2), rss_loaded_mb: +rssLoaded.toFixed(1),
    rss_after_mb: +rssMb().toFixed(1), runs: times.length,
    rps: +(times.length / ((performance.now() - start) / 1000)).toFixed(1),
    p50_ms: +quantile(times, 0.5).toFixed(3), p99_ms: +quantile(times, 0.99).toFixed(3),
  }));
}

main().catch((e) => { console.error(`density_ort: ${e.message}`); process.exit(1); });
