#!/usr/bin/env python3
"""Python jieba's segmentation throughput (per second of CPU time and of wall time) on a corpus (one sentence a line), for comparison
with bench/segment_bench.cc. With --write-corpus FILE it first writes the corpus of
tests/text/segmenter_reference.py (fortunes-zh + Chinese LibreOffice help) to FILE."""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--write-corpus", action="store_true")
    ap.add_argument("--help-dir", default=os.path.join(
        HERE, "..", "third_party/cache/libreoffice-help-zh-cn/usr/share/libreoffice/help/zh-CN"))
    args = ap.parse_args()
    if args.write_corpus:
        sys.path.insert(0, os.path.join(HERE, "..", "tests", "text"))
        import segmenter_reference
        with open(args.corpus, "w", encoding="utf-8") as f:
            for _, s in segmenter_reference.corpus(args.help_dir, 10**9):
                f.write(s.replace("\r", "").replace("\n", " ") + "\n")
    with open(args.corpus, encoding="utf-8", newline="\n") as f:
        lines = [l[:-1] if l.endswith("\n") else l for l in f]
    nbytes = sum(len(l.encode("utf-8")) for l in lines)
    import jieba
    jieba.setLogLevel(60)
    c0 = time.process_time()
    jieba.initialize()
    load = time.process_time() - c0
    modes = [("jieba", lambda s: jieba.lcut(s)),
             ("jieba-nohmm", lambda s: jieba.lcut(s, HMM=False)),
             ("jieba-search", lambda s: jieba.lcut_for_search(s))]
    print(f"corpus: {len(lines)} lines, {nbytes / 1e6:.2f} MB")
    for name, cut in modes:
        t0, c0 = time.perf_counter(), time.process_time()
        tokens = sum(len(cut(s)) for s in lines)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"python  {name:<13} load {load:6.3f} s cpu  {nbytes / cpu / 1e6:8.2f} MB/s cpu  "
              f"{nbytes / wall / 1e6:8.2f} MB/s wall  ({tokens} tokens)")
        load = 0.0


if __name__ == "__main__":
    main()
