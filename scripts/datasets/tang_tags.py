#!/usr/bin/python3
"""Tang poems with tags (npm chinese-poetry, dist/quantangshi/poet.tang.*.json) as
per-tag binary CSVs for quiver train / train-multilabel, plus a held-out corpus.

Only poems that carry tags are used (an untagged poem is unannotated, not negative). The
most frequent --tags tags become categories (ASCII names, as serve model names need);
the poems are shuffled (--seed), the first --limit kept, and --test of them held out.
Each category's CSV (text,label with label 0/1) covers a random --coverage fraction of
the training poems, so that merging them leaves gaps for train-multilabel to fill.

Writes into --out: <category>.csv, train.csv (text,label with '|'-joined categories),
corpus.csv (held out, same format) and categories.json ({category: tag}).
Run with /usr/bin/python3 (Debian's); needs only the standard library.
"""
import argparse
import collections
import glob
import json
import os
import random
import sys

from splits import write_sets

NAMES = {'洞庭湖': 'dongting', '写景': 'scenery', '抒情': 'lyrical', '唐诗三百首': 'tang300',
         '庐山': 'lushan', '黄河': 'yellow_river', '乐府': 'yuefu', '送别': 'farewell',
         '写人': 'people', '衡山': 'hengshan', '长江': 'yangtze', '思乡': 'homesick'}


def load(src):
    files = sorted(glob.glob(os.path.join(src, 'poet.tang.*.json')))
    if not files:
        sys.exit(f'tang_tags.py: no poet.tang.*.json in {src} (run scripts/install-deps.sh)')
    poems = []
    for f in files:
        with open(f, encoding='utf-8') as fh:
            for p in json.load(fh):
                if p.get('tags'):
                    text = (p.get('title', '') + '。' + ''.join(p.get('paragraphs', []))).strip()
                    poems.append((text, sorted(set(p['tags']))))
    return poems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--src', default='third_party/cache/chinese-poetry-2.0.1/dist/quantangshi')
    ap.add_argument('--out', required=True)
    ap.add_argument('--tags', type=int, default=6)
    ap.add_argument('--limit', type=int, default=0, help='poems kept (0 = all tagged poems)')
    ap.add_argument('--test', type=float, default=0.2, help='held-out fraction')
    ap.add_argument('--coverage', type=float, default=1.0, help='training poems in each CSV')
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    poems = load(a.src)
    counts = collections.Counter(t for _, tags in poems for t in tags)
    top = [t for t, _ in counts.most_common(a.tags)]
    names = {t: NAMES.get(t, f'tag{i}') for i, t in enumerate(top)}
    rng = random.Random(a.seed)
    rng.shuffle(poems)
    if a.limit:
        poems = poems[:a.limit]
    n_test = int(len(poems) * a.test)
    test, train = poems[:n_test], poems[n_test:]
    write_sets(a.out, train, test, {t: names[t] for t in top}, rng, a.coverage)
    with open(os.path.join(a.out, 'categories.json'), 'w', encoding='utf-8') as fh:
        json.dump({names[t]: t for t in top}, fh, ensure_ascii=False)
    print(f'{len(train)} training / {len(test)} held-out poems; categories: ' +
          ', '.join(f'{names[t]} ({t}, {counts[t]})' for t in top))


if __name__ == '__main__':
    main()
