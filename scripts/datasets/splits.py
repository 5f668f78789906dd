"""Shared by the dataset scripts: write per-category binary CSVs, train.csv and corpus.csv."""
import csv
import os


def write(path, rows, header=('text', 'label')):
    """A CSV with the given columns (default text,label)."""
    with open(path, 'w', encoding='utf-8', newline='') as fh:
        w = csv.writer(fh, lineterminator='\n')
        w.writerow(header)
        w.writerows(rows)


def write_sets(out, train, test, names, rng, coverage=1.0):
    """train / test: [(text, tags)]; names: {tag: category} in category order.

    Writes <category>.csv (text, 0/1) over a random `coverage` fraction of the training
    items (drawn per category), and train.csv / corpus.csv with '|'-joined categories."""
    os.makedirs(out, exist_ok=True)
    joined = lambda tags: '|'.join(n for t, n in names.items() if t in tags)
    write(os.path.join(out, 'train.csv'), [(s, joined(tags)) for s, tags in train])
    write(os.path.join(out, 'corpus.csv'), [(s, joined(tags)) for s, tags in test])
    for tag, name in names.items():
        rows = [(s, int(tag in tags)) for s, tags in train if coverage >= 1 or rng.random() < coverage]
        write(os.path.join(out, name + '.csv'), rows)
