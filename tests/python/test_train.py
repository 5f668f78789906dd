"""quiver.train and quiver.evaluate: the CLI's trainer and evaluator with Python keywords,
progress reporting, and errors as exceptions."""
import json
import os
import pty
import subprocess
import sys

import numpy as np
import pytest

from conftest import CATEGORIES, write_csv

SMALL = dict(type="lstm", epochs=2, units=8, embedding_dim=8, seed=3, verbose=0)


def test_train_equals_the_cli_bit_for_bit(quiver, quiver_binary, tmp_path):
    csv = write_csv(tmp_path / "A.csv", CATEGORIES["A"])
    report = quiver.train(csv, tmp_path / "py.h5", **SMALL)
    subprocess.run([quiver_binary, "train", "--data", str(csv), "--model", str(tmp_path / "cli.h5"),
                    "--model-type", "lstm", "--epochs", "2", "--units", "8", "--embedding-dim", "8",
                    "--seed", "3"], check=True, capture_output=True)
    ids = np.random.RandomState(0).randint(0, report["vocab_size"], size=(16, report["maxlen"])).astype(np.int32)
    py_out = quiver.Model.load(tmp_path / "py.h5").predict(ids)[0]
    cli_out = quiver.Model.load(tmp_path / "cli.h5").predict(ids)[0]
    assert np.array_equal(py_out, cli_out)
    assert (tmp_path / "py.tokenizer.json").read_text() == (tmp_path / "cli.tokenizer.json").read_text()
    assert report["labels"] == ["negative", "positive"]
    assert report["task"] == "binary"
    assert report["train_rows"] == 12
    assert len(report["history"]["loss"]) == 2 and len(report["epochs"]) == 2
    assert report["tokenizer_path"] == str(tmp_path / "py.tokenizer.json")


def test_progress_callback_sees_every_batch_and_epoch(quiver, tmp_path):
    csv = write_csv(tmp_path / "A.csv", CATEGORIES["A"])
    seen = []
    quiver.train(csv, tmp_path / "m.h5", progress=seen.append, batch_size=4, validation_split=0.25,
                 **{k: v for k, v in SMALL.items() if k != "verbose"})
    epochs_done = [p for p in seen if p["done"]]
    assert [p["epoch"] for p in epochs_done] == [1, 2]
    assert all("val_loss" in p and "val_accuracy" in p for p in epochs_done)
    steps = [p for p in seen if not p["done"] and p["epoch"] == 1]
    assert [p["step"] for p in steps] == list(range(1, steps[0]["steps"] + 1))
    assert steps[0]["steps"] == 3  # 9 training rows in batches of 4


def test_an_exception_in_the_callback_stops_training_and_leaves_no_model(quiver, tmp_path):
    csv = write_csv(tmp_path / "A.csv", CATEGORIES["A"])
    calls = []

    def stop(p):
        calls.append(p)
        if p["epoch"] == 1 and p["step"] == 1:
            raise KeyError("stop here")
    with pytest.raises(KeyError, match="stop here"):
        quiver.train(csv, tmp_path / "m.h5", progress=stop, batch_size=2, epochs=5, units=4, verbose=0)
    assert len(calls) == 1  # stopped after the batch that raised
    assert not (tmp_path / "m.h5").exists()
    assert not (tmp_path / "m.tokenizer.json").exists()


def test_unknown_or_bad_options_raise_with_the_closest_name(quiver, tmp_path):
    csv = write_csv(tmp_path / "A.csv", CATEGORIES["A"])
    with pytest.raises(quiver.InvalidArgumentError, match=r"unknown training option 'epoch' \(did you mean 'epochs'\?\)"):
        quiver.train(csv, tmp_path / "m.h5", epoch=3)
    with pytest.raises(quiver.InvalidArgumentError, match="epochs: expected an integer >= 1, got '0'"):
        quiver.train(csv, tmp_path / "m.h5", epochs=0)
    with pytest.raises(quiver.InvalidArgumentError, match="model_type"):
        quiver.train(csv, tmp_path / "m.h5", type="transformer")
    with pytest.raises(quiver.NotFoundError, match="missing.csv"):
        quiver.train(tmp_path / "missing.csv", tmp_path / "m.h5", verbose=0)
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nfine,a\nno label column here\n")
    with pytest.raises(quiver.InvalidArgumentError, match="bad.csv"):
        quiver.train(bad, tmp_path / "m.h5", verbose=0)
    assert not (tmp_path / "m.h5").exists()


PROGRESS_SCRIPT = """
import sys, quiver
quiver.train(sys.argv[1], sys.argv[2], type="lstm", epochs=2, units=4, embedding_dim=4, batch_size=4)
"""


def run_in_terminal(args):
    """Runs args with stdout and stderr on a pseudo-terminal; returns what it printed."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(args[0], args, dict(os.environ))
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out.decode(errors="replace")
    return out.decode()


def test_a_terminal_gets_a_keras_progress_bar_and_a_pipe_gets_nothing(tmp_path):
    csv = write_csv(tmp_path / "A.csv", CATEGORIES["A"])
    script = tmp_path / "train.py"
    script.write_text(PROGRESS_SCRIPT)
    out = run_in_terminal([sys.executable, str(script), str(csv), str(tmp_path / "tty.h5")])
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "3/3 [==============================]" in out  # 12 rows in batches of 4
    assert "loss: " in out and "accuracy: " in out and "/step" in out
    piped = subprocess.run([sys.executable, str(script), str(csv), str(tmp_path / "pipe.h5")],
                           capture_output=True, text=True, check=True)
    assert piped.stdout == ""


def test_evaluate_equals_cli_evaluate_json(quiver, quiver_binary, trained):
    c = trained["C"]
    ours = quiver.evaluate(c["model"], c["csv"])
    cli = json.loads(subprocess.run([quiver_binary, "evaluate", "--model", c["model"], "--data", c["csv"],
                                     "--json"], check=True, capture_output=True, text=True).stdout)
    assert ours == cli
    assert ours["task"] == "multiclass" and ours["rows"] == 12
    with pytest.raises(quiver.NotFoundError):
        quiver.evaluate(c["model"], c["csv"] + ".missing")
    # The memory keywords load the model as Model.load does; no table policy changes a bit.
    for kw in (dict(memory_policy="none"), dict(memory_policy="lazy"), dict(memory_budget_mb=0.0001)):
        assert quiver.evaluate(c["model"], c["csv"], **kw) == ours, kw
    cli_none = json.loads(subprocess.run([quiver_binary, "evaluate", "--model", c["model"], "--data", c["csv"],
                                          "--json", "--memory-policy", "none"],
                                         check=True, capture_output=True, text=True).stdout)
    assert cli_none == ours
    with pytest.raises(quiver.InvalidArgumentError, match="memory policy 'int8'"):
        quiver.evaluate(c["model"], c["csv"], memory_policy="int8")
