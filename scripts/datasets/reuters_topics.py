#!/usr/bin/python3
"""Reuters-21578 stories with topics from Debian's r-cran-tm (texts/acq, texts/crude:
50 + 20 stories) as per-topic binary CSVs for quiver train / train-multilabel.

Text = title + body. Topics with at least --min-count stories become categories (in this
sample only acq and crude; the others occur once or twice). --test of the stories
(shuffled with --seed) are held out as corpus.csv. Writes into --out: <topic>.csv
(text,label 0/1), train.csv and corpus.csv (text,label with '|'-joined topics).
Run with /usr/bin/python3; needs only the standard library.
"""
import argparse
import collections
import glob
import html
import os
import random
import re
import sys

from splits import write_sets


def load(src):
    stories = []
    for folder in ('acq', 'crude'):
        for f in sorted(glob.glob(os.path.join(src, folder, '*.xml'))):
            with open(f, encoding='utf-8', errors='replace') as fh:
                s = fh.read()
            topics = re.search(r'<TOPICS>(.*?)</TOPICS>', s, re.S)
            topics = sorted(set(re.findall(r'<D>(.*?)</D>', topics.group(1)))) if topics else []
            title = re.search(r'<TITLE>(.*?)</TITLE>', s, re.S)
            body = re.search(r'<BODY>(.*?)</BODY>', s, re.S)
            text = ' '.join(html.unescape(m.group(1)) for m in (title, body) if m)
            stories.append((' '.join(text.split()), topics))
    if not stories:
        sys.exit(f'reuters_topics.py: no stories under {src} (run scripts/install-deps.sh)')
    return stories


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--src', default='third_party/cache/r-cran-tm/usr/lib/R/site-library/tm/texts')
    ap.add_argument('--out', required=True)
    ap.add_argument('--min-count', type=int, default=5)
    ap.add_argument('--test', type=float, default=0.3)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    stories = load(a.src)
    counts = collections.Counter(t for _, ts in stories for t in ts)
    topics = sorted(t for t, c in counts.items() if c >= a.min_count)
    random.Random(a.seed).shuffle(stories)
    n_test = int(len(stories) * a.test)
    test, train = stories[:n_test], stories[n_test:]
    write_sets(a.out, train, test, {t: t for t in topics}, None)
    print(f'{len(train)} training / {len(test)} held-out stories; topics: ' +
          ', '.join(f'{t} ({counts[t]})' for t in topics))


if __name__ == '__main__':
    main()
