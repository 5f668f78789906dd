#!/usr/bin/python3
"""A labelled Chinese corpus from Debian's libreoffice-help-zh-cn: each sentence of a help
page labelled by the module the page belongs to (text/<module>/...: swriter, scalc, ...).

usage: libreoffice_corpus.py HELP_TEXT_DIR OUT_DIR [--modules N] [--max-train K]
                             [--max-test K] [--min-han H]

HELP_TEXT_DIR is .../usr/share/libreoffice/help/zh-CN/text (scripts/install-deps.sh unpacks
the package into third_party/cache/libreoffice-help-zh-cn). Writes OUT_DIR/train.csv and
OUT_DIR/test.csv (columns text,label; Python's csv module, so quoted where needed) and
OUT_DIR/corpus.json (counts per module and split). Exit 77 when HELP_TEXT_DIR is absent.

What is kept, and why:
  * only the page body, <div id="DisplayArea">: the <header> ("LibreOffice 7.4 帮助", the
    module menu), the <aside> index/contents, the <footer> debug block that names the
    source file (/text/swriter/...) and the "related topics" link lists are dropped, so
    no line states its own module;
  * the text of <p>, <h1-6>, <td>, <li> elements (python's html.parser, entities decoded,
    whitespace runs collapsed), cut into sentences after 。！？;
  * sentences with at least --min-han Han characters (many pages are partly untranslated
    English);
  * a sentence that occurs under two modules (shared snippets) is dropped everywhere;
    duplicates within a module are kept once.
The N modules with the most sentences become the classes. The split is by page, so no page
contributes to both sides: a page is in the test set when md5(its path) % 5 == 0.
Then each class keeps at most K train / K test sentences, evenly spaced over its list
(sorted by page path, then position), so the output is deterministic.
"""
import argparse
import collections
import csv
import glob
import hashlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "text"))
from segmenter_reference import HelpText  # noqa: E402  (its flush(): one block's text)

HAN = re.compile("[\u4e00-\u9fff]")
BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "td", "li"}
DROP_TAGS = {"script", "style", "header", "footer", "aside"}
VOID_TAGS = {"br", "img", "input", "meta", "link", "hr", "wbr", "area", "base", "col", "embed",
             "source", "track"}


class PageText(HelpText):
  """The text blocks of one help page's body (see the module docstring)."""

  def __init__(self):
    super().__init__()
    self.stack = []  # open non-void tags: (tag, starts the body, drops its content)
    self.in_body = 0
    self.dropping = 0
    self.block_depth = 0

  def handle_starttag(self, tag, attrs):
    if tag in VOID_TAGS:
      return
    a = dict(attrs)
    body = tag == "div" and a.get("id") == "DisplayArea"
    drop = tag in DROP_TAGS or "relatedtopics" in (a.get("class") or "").split()
    if tag in BLOCK_TAGS:
      self.flush()
      self.block_depth += 1
    self.stack.append((tag, body, drop))
    self.in_body += body
    self.dropping += drop

  def handle_endtag(self, tag):
    if tag in VOID_TAGS or not any(t == tag for t, _, _ in self.stack):
      return
    while self.stack:  # close implicitly closed children too (html.parser does not)
      t, body, drop = self.stack.pop()
      self.in_body -= body
      self.dropping -= drop
      if t in BLOCK_TAGS:
        self.flush()
        self.block_depth = max(0, self.block_depth - 1)
      if t == tag:
        break

  def handle_data(self, data):
    if self.in_body and not self.dropping and self.block_depth:
      self.parts.append(data)


def page_sentences(path, min_han):
  parser = PageText()
  with open(path, encoding="utf-8") as f:
    parser.feed(f.read())
  parser.close()
  parser.flush()
  for block in parser.blocks:
    for sentence in re.findall(r"[^。！？]+[。！？]?", block):
      sentence = sentence.strip()
      if len(HAN.findall(sentence)) >= min_han:
        yield sentence


def is_test_page(rel_path):
  return int(hashlib.md5(rel_path.encode("utf-8")).hexdigest(), 16) % 5 == 0


def evenly(rows, k):
  if len(rows) <= k:
    return rows
  return [rows[i * len(rows) // k] for i in range(k)]


def collect(help_dir, min_han):
  """{module: [(rel_path, sentence), ...]} in path order, cross-module duplicates removed."""
  by_module = collections.defaultdict(list)
  modules_of = collections.defaultdict(set)
  for path in sorted(glob.glob(os.path.join(help_dir, "*", "**", "*.html"), recursive=True)):
    rel = os.path.relpath(path, help_dir)
    module = rel.split(os.sep)[0]
    for s in page_sentences(path, min_han):
      by_module[module].append((rel, s))
      modules_of[s].add(module)
  out = {}
  for module, rows in by_module.items():
    seen, kept = set(), []
    for rel, s in rows:
      if len(modules_of[s]) == 1 and s not in seen:
        seen.add(s)
        kept.append((rel, s))
    out[module] = kept
  return out


def write_csv(path, rows):
  with open(path, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow(["text", "label"])
    w.writerows(rows)


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("help_dir")
  ap.add_argument("out_dir")
  ap.add_argument("--modules", type=int, default=5)
  ap.add_argument("--max-train", type=int, default=0, help="per class; 0 = all")
  ap.add_argument("--max-test", type=int, default=0, help="per class; 0 = all")
  ap.add_argument("--min-han", type=int, default=6)
  args = ap.parse_args()
  if not os.path.isdir(args.help_dir):
    print("no help pages at " + args.help_dir, file=sys.stderr)
    return 77
  corpus = collect(args.help_dir, args.min_han)
  modules = sorted(corpus, key=lambda m: (-len(corpus[m]), m))[:args.modules]
  train, test, counts = [], [], {}
  for m in sorted(modules):
    tr = [s for rel, s in corpus[m] if not is_test_page(rel)]
    te = [s for rel, s in corpus[m] if is_test_page(rel)]
    counts[m] = {"sentences": len(corpus[m]), "train_all": len(tr), "test_all": len(te)}
    tr = evenly(tr, args.max_train) if args.max_train else tr
    te = evenly(te, args.max_test) if args.max_test else te
    counts[m].update(train=len(tr), test=len(te))
    train += [(s, m) for s in tr]
    test += [(s, m) for s in te]
  # Interleave the classes (training reads rows in file order; the trainer shuffles, but a
  # sorted file would also make --validation-split pick one class).
  train.sort(key=lambda r: hashlib.md5(r[0].encode("utf-8")).hexdigest())
  os.makedirs(args.out_dir, exist_ok=True)
  write_csv(os.path.join(args.out_dir, "train.csv"), train)
  write_csv(os.path.join(args.out_dir, "test.csv"), test)
  with open(os.path.join(args.out_dir, "corpus.json"), "w") as f:
    json.dump({"modules": counts, "all_modules": {m: len(r) for m, r in sorted(corpus.items())}},
              f, ensure_ascii=False, indent=1)
  return 0


if __name__ == "__main__":
  sys.exit(main())
