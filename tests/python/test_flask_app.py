"""The team's Flask app (examples/flask_app.py) under gunicorn, as a black box: several
workers and threads serve three categories; every sentence of each category, sent in order,
reversed, interleaved with the other categories and from 32 threads at once, must get the
bytes that a process which loaded only that category's model answers. This is the bug the
team hit on TensorFlow 1 (answers depending on which models ran before), shown fixed in their
own stack."""
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from conftest import CATEGORIES, SOURCE_DIR, run_threads, write_csv

GUNICORN = "/usr/bin/gunicorn"
# Sentences sent: each category's own training texts, the other categories' texts and a few
# unseen ones (unknown words, empty, Chinese, punctuation).
EXTRA = ["", "completely unknown words here", "这个手机的质量非常好", "great!!! food??? cold...",
         "the the the the the the the the the the the the the the the the the the the the"]


def sentences():
    all_texts = [t for rows in CATEGORIES.values() for t, _ in rows]
    return all_texts + EXTRA


class App:
    """gunicorn running examples/flask_app.py on 127.0.0.1 with a port the OS picked."""

    def __init__(self, app_dir, categories, workers, threads, log, preload=False):
        env = dict(os.environ, QUIVER_APP_DIR=app_dir, QUIVER_APP_CATEGORIES=",".join(categories),
                   QUIVER_APP_MODELTYPE="lstm", PYTHONPATH=os.pathsep.join(
                       [os.path.join(SOURCE_DIR, "examples"), os.environ.get("PYTHONPATH", "")]))
        self.log_path = log
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [GUNICORN, "--workers", str(workers), "--threads", str(threads), "--bind", "127.0.0.1:0",
             "--timeout", "120", "--log-level", "info"] + (["--preload"] if preload else []) +
            ["flask_app:app"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.port = None
        deadline = time.monotonic() + 300
        while self.port is None and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited: " + open(log).read())
            m = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", open(log).read())
            if m:
                self.port = int(m.group(1))
            time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("gunicorn did not start: " + open(log).read())

    def get(self, category, sentence):
        query = urllib.parse.urlencode({"category": category, "sentence": sentence})
        url = "http://127.0.0.1:%d/classify?%s" % (self.port, query)
        for attempt in range(600):  # workers may still be loading: the socket queues, or refuses
            try:
                with urllib.request.urlopen(url, timeout=120) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.1)
        raise RuntimeError("no answer from " + url)

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    if not os.access(GUNICORN, os.X_OK):
        pytest.fail("gunicorn is missing: scripts/install-deps.sh test installs it")
    d = tmp_path_factory.mktemp("flask")
    for name, rows in CATEGORIES.items():
        write_csv(d / (name + ".csv"), rows)
    return str(d)


def test_every_answer_equals_the_single_model_process(app_dir):
    cats = sorted(CATEGORIES)
    texts = sentences()
    # Three workers start at once with the models missing: they train each one once (file
    # lock) and load the winner's file.
    app = App(app_dir, cats, workers=3, threads=4, log=os.path.join(app_dir, "app.log"))
    try:
        status, body = app.get("A", "warm up")
        assert status == 200, body
        for c in cats:
            assert os.path.exists(os.path.join(app_dir, c + ".h5"))
        # The references: one process per category that loaded only that category's model
        # (gunicorn --preload: loaded before the worker forks, as many deployments run it).
        want = {}
        for c in cats:
            ref = App(app_dir, [c], workers=1, threads=1, log=os.path.join(app_dir, "ref_%s.log" % c),
                      preload=True)
            try:
                for t in texts:
                    want[(c, t)] = ref.get(c, t)
            finally:
                ref.stop()
        assert all(s == 200 for s, _ in want.values())
        assert len({b for _, b in want.values()}) > 10  # real, varied answers

        def check(pairs):
            wrong = [(c, t) for c, t in pairs if app.get(c, t) != want[(c, t)]]
            assert wrong == []

        for c in cats:
            check([(c, t) for t in texts])                 # in order
            check([(c, t) for t in reversed(texts)])       # reversed
        check([(c, t) for t in texts for c in cats])       # interleaved
        check([(c, t) for t in reversed(texts) for c in reversed(cats)])

        # 32 threads at once, each its own shuffled mix of categories and sentences.
        errors = []

        def worker(k):
            rng = random.Random(k)
            pairs = [(c, t) for c in cats for t in texts]
            rng.shuffle(pairs)
            for c, t in pairs[:40]:
                got = app.get(c, t)
                if got != want[(c, t)]:
                    errors.append((k, c, t, got))
        run_threads(32, worker)
        assert errors == []

        # Errors are JSON with a real status.
        status, body = app.get("Z", "x")
        assert status == 404 and b"unknown category" in body
    finally:
        app.stop()
    assert "Traceback" not in open(os.path.join(app_dir, "app.log")).read()
