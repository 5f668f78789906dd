#!/usr/bin/env node
// Converts the npm `sentiment` package's fixtures (UCI Sentiment Labelled Sentences: amazon,
// imdb, yelp; JSON lists of {"text", "class"}) into CSV files with the columns text,label
// (label: negative / positive) for examples/sentiment.yaml. Node, not Python: the lean
// set-up (scripts/run.sh) already has node for npm and needs no Python.
//
// Usage: node scripts/sentiment-data.mjs FIXTURES_DIR OUT_DIR   (skips files that exist)
import fs from "node:fs";
import path from "node:path";

// RFC 4180 quoting, as Python's csv.writer does it (quote when needed, double the quotes).
function field(s) {
  return /[",\r\n]/.test(s) ? '"' + s.replaceAll('"', '""') + '"' : s;
}

const [fixtures, outDir] = process.argv.slice(2);
if (!fixtures || !outDir) {
  console.error("usage: node scripts/sentiment-data.mjs FIXTURES_DIR OUT_DIR");
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
for (const name of ["amazon", "imdb", "yelp"]) {
  const out = path.join(outDir, name + ".csv");
  if (fs.existsSync(out)) continue;
  const rows = JSON.parse(fs.readFileSync(path.join(fixtures, name + ".json"), "utf8"));
  let csv = "text,label\r\n";
  for (const r of rows) {
    // Each fixture ends with an empty {"text": "", "class": null}.
    if ((r.class !== 0 && r.class !== 1) || !(r.text || "").trim()) continue;
    csv += field(r.text.trim()) + "," + (r.class === 1 ? "positive" : "negative") + "\r\n";
  }
  fs.writeFileSync(out + ".tmp", csv);
  fs.renameSync(out + ".tmp", out);
  console.error("sentiment-data: wrote " + out);
}
