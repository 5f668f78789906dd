#!/usr/bin/python3
"""The UCI Sentiment Labelled Sentences (npm `sentiment`, test/fixtures/{amazon,imdb,yelp}.json)
as three binary categories that share no sentence: the case where train-multilabel must
label every sentence's other two categories with the binary models.

Each domain's sentences are shuffled (--seed) and --test of them held out. Writes into --out:
<domain>.csv (text,label with negative / positive) and corpus.csv (text,amazon,imdb,yelp:
0/1 in the sentence's own domain's column, empty in the others = unknown).
Run with /usr/bin/python3; needs only the standard library.
"""
import argparse
import json
import os
import random

from splits import write

DOMAINS = ('amazon', 'imdb', 'yelp')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--src', default='third_party/npm/node_modules/sentiment/test/fixtures')
    ap.add_argument('--out', required=True)
    ap.add_argument('--test', type=float, default=0.2)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    corpus = []
    for d in DOMAINS:
        with open(os.path.join(a.src, d + '.json'), encoding='utf-8') as fh:
            rows = [(r['text'].strip(), int(r['class'])) for r in json.load(fh)
                    if r.get('class') in (0, 1) and r.get('text', '').strip()]
        rng.shuffle(rows)
        n_test = int(len(rows) * a.test)
        write(os.path.join(a.out, d + '.csv'), [(t, 'positive' if c else 'negative') for t, c in rows[n_test:]])
        corpus += [(t, *(c if d == e else '' for e in DOMAINS)) for t, c in rows[:n_test]]
    write(os.path.join(a.out, 'corpus.csv'), corpus, ('text', *DOMAINS))
    print(f'{len(corpus)} held-out sentences; domains: ' + ', '.join(DOMAINS))


if __name__ == '__main__':
    main()
