#!/usr/bin/python3
"""Segmentation's share of a real /v1/classify request (not a test).

usage: segment_share_serve.py QUIVER MODEL TOKENIZER SENTENCES [--requests N]

Starts `quiver serve --port 0` with the same model twice, `segmenter: jieba` and
`segmenter: none`, then sends one-sentence requests over one keep-alive connection,
alternating the two models sentence by sentence, and prints the mean and median latency of
each as seen by the client. The difference is what segmenting costs inside a real request
(HTTP, JSON, batcher and model included); its ratio to the jieba latency is the share.
The `none` model sees other ids (the unsegmented sentence is mostly one token), so its
predict cost is the same only for models whose cost does not depend on the ids (true of
quiver's Embedding/LSTM/CNN models at a fixed maxlen).
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("quiver")
  ap.add_argument("model")
  ap.add_argument("tokenizer")
  ap.add_argument("sentences")
  ap.add_argument("--requests", type=int, default=600)
  args = ap.parse_args()
  with open(args.sentences, encoding="utf-8") as f:
    sentences = [l.rstrip("\n") for l in f if l.strip()]
  with tempfile.TemporaryDirectory() as tmp:
    config = os.path.join(tmp, "serve.yaml")
    entry = "    model: %s\n    tokenizer: %s\n" % (os.path.abspath(args.model),
                                                    os.path.abspath(args.tokenizer))
    with open(config, "w") as f:
      f.write("server:\n  host: 127.0.0.1\nmodels:\n"
              "  - name: seg\n" + entry + "    segmenter: jieba\n"
              "  - name: raw\n" + entry + "    segmenter: none\n")
    server = subprocess.Popen([args.quiver, "serve", "--config", config, "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
      line = server.stdout.readline()
      port = int(line.rsplit(":", 1)[1].split()[0].strip("/"))
      conn = http.client.HTTPConnection("127.0.0.1", port)
      lat = {"seg": [], "raw": []}
      for i in range(args.requests + 40):
        for name in ("seg", "raw"):
          body = json.dumps({"category": name, "sentences": [sentences[i % len(sentences)]]})
          t0 = time.perf_counter()
          conn.request("POST", "/v1/classify", body, {"Content-Type": "application/json"})
          r = conn.getresponse()
          r.read()
          if r.status != 200:
            sys.exit("HTTP %d" % r.status)
          if i >= 40:  # warm-up
            lat[name].append(time.perf_counter() - t0)
    finally:
      server.terminate()
      server.wait()
  seg, raw = lat["seg"], lat["raw"]
  for name, v in (("segmenter jieba", seg), ("segmenter none", raw)):
    print("  %-16s mean %7.1f us  median %7.1f us  (%d one-sentence requests)"
          % (name, 1e6 * statistics.mean(v), 1e6 * statistics.median(v), len(v)))
  d_mean = statistics.mean(seg) - statistics.mean(raw)
  d_med = statistics.median(seg) - statistics.median(raw)
  print("  segmentation: %+.1f us mean (%.1f%% of the jieba request), %+.1f us median (%.1f%%)"
        % (1e6 * d_mean, 100 * d_mean / statistics.mean(seg), 1e6 * d_med,
           100 * d_med / statistics.median(seg)))


if __name__ == "__main__":
  main()
