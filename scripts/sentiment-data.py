#!/usr/bin/env python3
"""Converts the npm `sentiment` package's fixtures (UCI Sentiment Labelled Sentences:
amazon, imdb, yelp; JSON lists of {"text", "class"}) into CSV files with the columns
text,label (label: negative / positive) for examples/sentiment.yaml.

Usage: scripts/sentiment-data.py FIXTURES_DIR OUT_DIR   (skips files that exist)
"""
import csv
import json
import os
import sys


def main():
    fixtures, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    for name in ("amazon", "imdb", "yelp"):
        out = os.path.join(out_dir, name + ".csv")
        if os.path.exists(out):
            continue
        with open(os.path.join(fixtures, name + ".json"), encoding="utf-8") as f:
            rows = json.load(f)
        tmp = out + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            for r in rows:
                if r.get("class") not in (0, 1) or not r.get("text", "").strip():
                    continue  # each fixture ends with an empty {"text": "", "class": null}
                w.writerow([r["text"].strip(), "positive" if int(r["class"]) == 1 else "negative"])
        os.replace(tmp, out)
        print("sentiment-data: wrote %s" % out, file=sys.stderr)


if __name__ == "__main__":
    main()
