"""No leak: 10,000 load / predict / unload cycles of a small model (and failed loads, raised as
exceptions) leave the resident set where it was after the warm-up."""
import gc
import os

import numpy as np
import pytest

from conftest import CATEGORIES, write_csv

CYCLES = 10_000
WARMUP = 1_000


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def tiny(quiver, tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    csv = write_csv(d / "tiny.csv", CATEGORIES["A"])
    quiver.train(csv, d / "tiny.h5", type="lstm", epochs=1, units=2, embedding_dim=2, verbose=0)
    return str(d / "tiny.h5")


def test_load_unload_cycles_keep_rss_flat(quiver, tiny, tmp_path):
    ids = np.zeros((2, quiver.Model.load(tiny).info["input_length"]), dtype=np.int32)
    missing = str(tmp_path / "missing.h5")
    rss_after_warmup = None
    for i in range(CYCLES):
        m = quiver.Model.load(tiny)
        out = m.predict(ids)
        del m, out
        if i % 10 == 0:
            with pytest.raises(quiver.NotFoundError):
                quiver.Model.load(missing)
        if i + 1 == WARMUP:
            gc.collect()
            rss_after_warmup = rss_bytes()
    gc.collect()
    grown = rss_bytes() - rss_after_warmup
    # A leak of even 500 bytes a cycle would grow it by 4.5 MB.
    assert grown < 2 * 1024 * 1024, "RSS grew by %d bytes over %d cycles" % (grown, CYCLES - WARMUP)
