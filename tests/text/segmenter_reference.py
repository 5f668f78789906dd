#!/usr/bin/env python3
"""Reference token sequences from Python jieba (Debian python3-jieba 0.42.1) for quiver's
segmenter parity test (segmenter_parity_test.cc).

Builds the corpus (one sentence a line) from real Chinese text:
  * Debian's fortunes-zh (/usr/share/games/fortunes/{chinese,tang300,song100}): every
    non-empty line of every fortune, ANSI colour escapes included;
  * Debian's libreoffice-help-zh-cn pages (unpacked by scripts/install-deps.sh): the text of
    each <p>/<h1-6>/<td>/<li> element with tags removed and whitespace runs collapsed to
    one space, cut into sentences after 。！？; sentences without a Han character are
    dropped.
Duplicates are removed (first occurrence kept); --limit N keeps N evenly spaced sentences
of the whole. Then one process segments everything:
jieba.lcut(s), jieba.lcut(s, HMM=False), jieba.lcut_for_search(s) with the default
dictionary, then the same three with a user dictionary on a second jieba.Tokenizer (the
user dictionary goes last because finalseg's Force_Split_Words is global in Python).

Output (--out): one JSON object a line: {"corpus": ..., "sentence": ...,
"jieba": [...], "jieba-nohmm": [...], "jieba-search": [...], "user:jieba": [...], ...}.
"""
import argparse
import glob
import html.parser
import json
import os
import re
import sys
import time

FORTUNES = ["/usr/share/games/fortunes/" + n for n in ("chinese", "tang300", "song100")]
HAN = re.compile("[\u4e00-\u9fff]")
BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "td", "li"}


class HelpText(html.parser.HTMLParser):
    """Collects the text of block elements, skipping <script> and <style>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks, self.parts, self.depth, self.skip = [], [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self.flush()
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.flush()
            self.depth = max(0, self.depth - 1)

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)

    def flush(self):
        text = re.sub(r"\s+", " ", "".join(self.parts)).strip()
        if text:
            self.blocks.append(text)
        self.parts = []


def help_sentences(help_dir):
    for path in sorted(glob.glob(os.path.join(help_dir, "**", "*.html"), recursive=True)):
        parser = HelpText()
        with open(path, encoding="utf-8") as f:
            parser.feed(f.read())
        parser.flush()
        for block in parser.blocks:
            for sentence in re.findall(r"[^。！？]+[。！？]?", block):
                sentence = sentence.strip()
                if HAN.search(sentence):
                    yield sentence


def fortune_sentences():
    for path in FORTUNES:
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            for line in f.read().split("\n"):
                if line.strip() and line != "%":
                    yield line


def corpus(help_dir, limit):
    """(corpus, sentence) pairs; over `limit`, an evenly spaced sample of them."""
    seen, rows = set(), []
    sources = [("fortunes-zh", fortune_sentences()),
               ("libreoffice-help-zh-cn", help_sentences(help_dir))]
    for name, sentences in sources:
        for s in sentences:
            if s not in seen:
                seen.add(s)
                rows.append((name, s))
    if len(rows) > limit:
        rows = [rows[i * len(rows) // limit] for i in range(limit)]
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--help-dir", required=True)
    ap.add_argument("--user-dict", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, default=10**9)
    args = ap.parse_args()
    import jieba
    jieba.setLogLevel(60)
    rows = [{"corpus": c, "sentence": s} for c, s in corpus(args.help_dir, args.limit)]
    t0 = time.time()
    jieba.initialize()
    t1 = time.time()
    user = jieba.Tokenizer()
    for prefix, tok in (("", jieba.dt), ("user:", user)):
        if prefix:
            tok.load_userdict(args.user_dict)
        for row in rows:
            s = row["sentence"]
            row[prefix + "jieba"] = tok.lcut(s)
            row[prefix + "jieba-nohmm"] = tok.lcut(s, HMM=False)
            row[prefix + "jieba-search"] = tok.lcut_for_search(s)
    t2 = time.time()
    with open(args.out, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    chars = sum(len(r["sentence"]) for r in rows)
    print(f"python jieba {jieba.__version__}: {len(rows)} sentences, {chars} characters; "
          f"dictionary load {t1 - t0:.2f} s, segmentation (6 passes) {t2 - t1:.2f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
