"""Fixtures of the Python module's tests (run by CTest, tests/python/CMakeLists.txt).

The module comes from the build tree (PYTHONPATH=<build>/python); the quiver binary from
QUIVER_BINARY. Models are made by the suite itself: tiny quiver-trained classifiers (seconds)
and tests/server/make_suite_models.py's Keras files with TensorFlow.js reference outputs.
A file whose every test skipped exits 77 after printing "SKIP: <reason>", which CTest counts
as skipped and scripts/ctest-skips.py reads.
"""
import fcntl
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("QUIVER_SOURCE_DIR", os.path.abspath(os.path.join(HERE, "..", "..")))
SHARED_DIR = os.environ.get("QUIVER_SHARED_DIR", os.path.join(SOURCE_DIR, "..", "shared"))
KERAS_MODELS = os.path.join(SHARED_DIR, "keras-models")
WORK = os.environ.get("QUIVER_TEST_WORK", os.path.join(HERE, "work"))

# Two small categories in the team's CSV shape (text,label), each trained in about a second.
CATEGORIES = {
    "A": [
        ("the food was great", "positive"), ("great service and friendly staff", "positive"),
        ("i loved the fresh bread", "positive"), ("the best pizza in town", "positive"),
        ("friendly waiters and great coffee", "positive"), ("lovely place with great music", "positive"),
        ("the food was cold and bland", "negative"), ("terrible service never again", "negative"),
        ("the soup was awful", "negative"), ("rude staff and a dirty table", "negative"),
        ("we waited an hour for cold food", "negative"), ("the worst coffee i ever had", "negative"),
    ],
    "B": [
        ("great coffee and tea", "yes"), ("the wine was cold", "yes"), ("fresh orange juice", "yes"),
        ("the beer was flat", "yes"), ("a cup of hot chocolate", "yes"), ("sparkling water please", "yes"),
        ("the pizza was great", "no"), ("the bread was fresh", "no"), ("rude staff", "no"),
        ("a dirty table", "no"), ("the soup was awful", "no"), ("we loved the music", "no"),
    ],
    "C": [
        ("the train was late again", "travel"), ("our flight left on time", "travel"),
        ("the hotel room was clean", "travel"), ("we took a taxi to the airport", "travel"),
        ("the match ended in a draw", "sport"), ("she won the final set", "sport"),
        ("the team scored twice", "sport"), ("a great goal in the last minute", "sport"),
        ("the menu had three soups", "food"), ("the chef cooked fresh fish", "food"),
        ("dessert was a lemon tart", "food"), ("the bread came warm", "food"),
    ],
}


def write_csv(path, rows):
    import csv
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(rows)
    return path


def pytest_sessionfinish(session, exitstatus):
    """Exit 77 with the skip reason when every collected test skipped (CTest: skipped)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    ran = sum(len(reporter.stats.get(k, [])) for k in ("passed", "failed", "error", "xfailed", "xpassed"))
    if skipped and ran == 0:
        reason = skipped[0].longrepr[2] if isinstance(skipped[0].longrepr, tuple) else str(skipped[0].longrepr)
        reason = reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
        print("\nSKIP: %s" % reason)
        session.exitstatus = 77


@pytest.fixture(scope="session")
def quiver():
    import quiver as q
    return q


@pytest.fixture(scope="session")
def quiver_binary():
    path = os.environ.get("QUIVER_BINARY", os.path.join(SOURCE_DIR, "build", "quiver"))
    if not os.access(path, os.X_OK):
        pytest.fail("the quiver binary is missing: %s (QUIVER_BINARY)" % path)
    return path


def _locked_once(name, make):
    """Runs make(dir) once per build tree for WORK/name (an flock keeps parallel test
    processes from making it twice); returns the folder."""
    root = os.path.join(WORK, name)
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(root, "done")):
            make(root)
            open(os.path.join(root, "done"), "w").close()
    return root


@pytest.fixture(scope="session")
def suite_models():
    """tests/server/make_suite_models.py's folders: model file, inputs.jsonl, expected.jsonl
    (TensorFlow.js reference outputs), tokenizer.json / tokenizer.pkl."""
    def make(root):
        script = os.path.join(SOURCE_DIR, "tests", "server", "make_suite_models.py")
        proc = subprocess.run([sys.executable, script, root], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError("make_suite_models.py failed:\n" + proc.stdout + proc.stderr)
    return _locked_once("suite_models", make)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def trained(quiver):
    """Tiny quiver-trained LSTM classifiers A, B (binary) and C (3 classes) with their CSVs:
    {"A": {"csv": ..., "model": ..., "texts": [...]}, ...}."""
    def make(root):
        for name, rows in CATEGORIES.items():
            csv = write_csv(os.path.join(root, name + ".csv"), rows)
            quiver.train(csv, os.path.join(root, name + ".h5"), type="lstm", epochs=2, units=8,
                         embedding_dim=8, seed=7, verbose=0)
    root = _locked_once("trained", make)
    return {name: {"csv": os.path.join(root, name + ".csv"), "model": os.path.join(root, name + ".h5"),
                   "tokenizer": os.path.join(root, name + ".tokenizer.json"),
                   "texts": [t for t, _ in rows]}
            for name, rows in CATEGORIES.items()}


def run_threads(n, worker):
    """Runs worker(0) ... worker(n - 1) on n threads at once and waits for them all."""
    import threading
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def needs_shared():
    return pytest.mark.skipif(not os.path.isdir(KERAS_MODELS),
                              reason="needs ../shared/keras-models (absent: %s)" % KERAS_MODELS)
