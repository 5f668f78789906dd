"""The 13 real third-party Keras models of ../shared/keras-models: Model.predict from Python
against the authors' Keras outputs (expected.jsonl, within the folder's 1e-5) and, bit for
bit, against `quiver predict --input-ids` (the CLI prints %.9g, which round-trips float32).
Skips when ../shared is absent."""
import json
import os
import subprocess

import numpy as np
import pytest

from conftest import KERAS_MODELS, needs_shared, read_jsonl

pytestmark = needs_shared()


def folders():
    if not os.path.isdir(KERAS_MODELS):
        return ["absent"]
    return sorted(d for d in os.listdir(KERAS_MODELS) if os.path.isdir(os.path.join(KERAS_MODELS, d)))


def model_file(d):
    return next(os.path.join(d, f) for f in ("model.h5", "model.keras") if os.path.exists(os.path.join(d, f)))


@pytest.mark.parametrize("name", folders())
def test_python_equals_keras_and_the_cli(quiver, quiver_binary, name):
    d = os.path.join(KERAS_MODELS, name)
    path = model_file(d)
    arch = os.path.join(d, "architecture.yml")
    arch = arch if os.path.exists(arch) else None
    if os.path.exists(os.path.join(d, "expected_error.json")):
        with pytest.raises(quiver.Error, match="model_config|architecture"):
            quiver.Model.load(path)
        return
    model = quiver.Model.load(path, architecture=arch)
    ids = np.array(read_jsonl(os.path.join(d, "inputs.jsonl")), dtype=np.int32)
    out = model.predict(ids)[0]
    expected = np.array(read_jsonl(os.path.join(d, "expected.jsonl")), dtype=np.float64)
    np.testing.assert_allclose(out.reshape(expected.shape), expected, rtol=0, atol=1e-5)
    cmd = [quiver_binary, "predict", "--model", path, "--input-ids"]
    if arch:
        cmd += ["--architecture-file", arch]
    with open(os.path.join(d, "inputs.jsonl"), "rb") as f:
        proc = subprocess.run(cmd, stdin=f, capture_output=True, check=True)
    cli = [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]
    cli = np.array([np.array(row, dtype=np.float32).ravel() for row in cli])
    assert np.array_equal(out.reshape(len(ids), -1), cli)
