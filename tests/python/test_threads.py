"""Thread safety: 32 Python threads calling several models at once get bit-identical answers,
and predict really releases the GIL."""
import os
import sys
import threading
import time

import numpy as np

from conftest import read_jsonl, run_threads

NAMES = ["text_bilstm", "ids_lstm", "textcnn_zh", "multilabel_lstm", "simplernn_keras"]


def load_suite(quiver, suite_models):
    models = {}
    for name in NAMES:
        d = os.path.join(suite_models, name)
        path = next(os.path.join(d, f) for f in sorted(os.listdir(d)) if f.startswith("model."))
        ids = np.array(read_jsonl(os.path.join(d, "inputs.jsonl")), dtype=np.int32)
        models[name] = (quiver.Model.load(path), ids)
    return models


def test_32_threads_get_bit_identical_answers(quiver, suite_models):
    models = load_suite(quiver, suite_models)
    # References: each model alone, one row at a time, on this thread.
    want = {n: np.concatenate([m.predict(ids[i:i + 1])[0] for i in range(len(ids))])
            for n, (m, ids) in models.items()}
    errors = []
    barrier = threading.Barrier(32)

    def worker(k):
        try:
            barrier.wait()
            rng = np.random.RandomState(k)
            for it in range(12):
                name = NAMES[(k + it) % len(NAMES)]
                m, ids = models[name]
                order = rng.permutation(len(ids))
                batch = rng.randint(1, len(ids) + 1)
                rows = order[:batch]
                got = m.predict(ids[rows], threads=1 + (k % 2))[0]
                if not np.array_equal(got, want[name][rows]):
                    errors.append("thread %d: %s rows %s differ" % (k, name, rows.tolist()))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append("thread %d: %r" % (k, e))

    run_threads(32, worker)
    assert errors == []


def test_loads_and_predicts_from_many_threads(quiver, suite_models):
    d = os.path.join(suite_models, "text_bilstm")
    ids = np.array(read_jsonl(os.path.join(d, "inputs.jsonl")), dtype=np.int32)
    want = quiver.Model.load(os.path.join(d, "model.h5")).predict(ids)[0]
    results = [None] * 16

    def worker(k):
        m = quiver.Model.load(os.path.join(d, "model.h5"))
        results[k] = m.predict(ids)[0]
    run_threads(16, worker)
    assert all(r is not None and np.array_equal(r, want) for r in results)


def thread_cpu(thread):
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def test_predict_releases_the_gil(quiver, suite_models):
    """While this thread holds the GIL without pause (a huge switch interval, pure Python
    spinning), a thread inside Model.predict must keep using CPU: it could not if predict held
    the GIL (a thread waiting for the GIL uses none). Not a timing threshold: we wait (up to
    a minute) for the other thread's CPU clock to move at all."""
    d = os.path.join(suite_models, "ids_lstm")
    model = quiver.Model.load(os.path.join(d, "model.h5"))
    ids = np.tile(np.array(read_jsonl(os.path.join(d, "inputs.jsonl")), dtype=np.int32), (400, 1))
    stop = threading.Event()

    def predict_forever():
        while not stop.is_set():
            model.predict(ids)
    t = threading.Thread(target=predict_forever)
    t.start()
    old = sys.getswitchinterval()
    moved = False
    try:
        for attempt in range(30):
            time.sleep(0.05)  # let the other thread (re)enter predict
            sys.setswitchinterval(1000)
            start = thread_cpu(t)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                if thread_cpu(t) - start > 0.005:
                    moved = True
                    break
            sys.setswitchinterval(old)
            if moved:
                break
    finally:
        sys.setswitchinterval(old)
        stop.set()
        t.join()
    assert moved, "a thread inside predict made no progress while another held the GIL"
