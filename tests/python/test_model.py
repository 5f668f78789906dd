"""quiver.Model from Python: load, info, predict against TensorFlow.js reference outputs,
NumPy dtypes / shapes / non-contiguous inputs, zero-copy int32 input, errors as exceptions."""
import gc
import os
import tracemalloc

import numpy as np
import pytest

from conftest import read_jsonl


def suite(suite_models, name):
    d = os.path.join(suite_models, name)
    model = next(os.path.join(d, f) for f in sorted(os.listdir(d)) if f.startswith("model."))
    ids = np.array(read_jsonl(os.path.join(d, "inputs.jsonl")), dtype=np.int32)
    expected = np.array(read_jsonl(os.path.join(d, "expected.jsonl")), dtype=np.float64)
    return model, ids, expected


@pytest.mark.parametrize("name", ["text_bilstm", "ids_lstm", "textcnn_zh", "multilabel_lstm",
                                  "simplernn_keras"])
def test_predict_matches_tensorflow_js(quiver, suite_models, name):
    path, ids, expected = suite(suite_models, name)
    model = quiver.Model.load(path)
    out = model.predict(ids)
    assert isinstance(out, list) and len(out) == 1
    assert out[0].dtype == np.float32 and out[0].shape == expected.shape
    np.testing.assert_allclose(out[0], expected, rtol=0, atol=2e-6)


def test_info_describes_the_model(quiver, suite_models):
    path, ids, _ = suite(suite_models, "text_bilstm")
    info = quiver.Model.load(path).info
    assert info["path"] == path
    assert info["input_length"] == 80
    assert info["vocab_size"] == 60
    assert info["output_shapes"] == [(-1, 1)]
    assert [l["class_name"] for l in info["layers"]][-1] == "Dense"
    assert info["total_params"] > 0 and info["memory_bytes"] > 0
    assert info["inputs"][0]["token_ids"] is True
    # Any length: None, not -1.
    ids_path, _, _ = suite(suite_models, "ids_lstm")
    assert quiver.Model.load(ids_path).info["input_length"] is None


def test_load_takes_pathlike_and_keywords(quiver, suite_models):
    import pathlib
    path, ids, expected = suite(suite_models, "text_bilstm")
    m = quiver.Model.load(pathlib.Path(path), weights="fp32", hard_sigmoid="auto")
    np.testing.assert_allclose(m.predict(ids)[0], expected, atol=2e-6)
    bf16 = quiver.Model.load(path, weights="bf16").predict(ids)[0]
    np.testing.assert_allclose(bf16, expected, atol=0.05)


def test_memory_policy_keeps_the_answer_and_changes_the_bytes(quiver, suite_models):
    # text_bilstm: Embedding(60) -> Bidirectional(LSTM): two tables of 60 rows.
    path, ids, expected = suite(suite_models, "text_bilstm")
    fp32 = quiver.Model.load(path, memory_policy="fp32")
    want = fp32.predict(ids)[0]
    np.testing.assert_allclose(want, expected, rtol=0, atol=2e-6)
    assert fp32.info["memory_policy"] == "fp32"
    assert fp32.info["memory"]["tables"] > 0
    for policy in ("lazy", "none"):
        m = quiver.Model.load(path, memory_policy=policy)
        assert m.info["memory_policy"] == policy
        assert np.array_equal(m.predict(ids)[0], want)  # the same bits as fp32 tables
    none = quiver.Model.load(path, memory_policy="none")
    assert none.info["memory"]["tables"] == 0
    assert none.info["memory_bytes"] == none.info["memory"]["weights"]
    lazy = quiver.Model.load(path, memory_policy="lazy")
    before = lazy.memory_in_use
    lazy.predict(ids)
    assert lazy.memory_in_use > before
    tight = quiver.Model.load(path, memory_budget_mb=none.info["memory_bytes"] / 1048576.0)
    assert tight.info["memory_policy"] == "none"
    with pytest.raises(quiver.InvalidArgumentError, match="memory policy 'int8'"):
        quiver.Model.load(path, memory_policy="int8")
    with pytest.raises(quiver.InvalidArgumentError, match="memory_budget_mb"):
        quiver.Model.load(path, memory_budget_mb=-1)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int64, np.uint8, np.uint16, np.uint32,
                                   np.uint64, ">i4"])
def test_other_integer_dtypes_give_the_int32_answer(quiver, suite_models, dtype):
    path, ids, _ = suite(suite_models, "text_bilstm")
    model = quiver.Model.load(path)
    want = model.predict(ids)[0]
    got = model.predict(ids.astype(dtype))[0]
    assert np.array_equal(got, want)


def test_non_contiguous_inputs_give_the_contiguous_answer(quiver, suite_models):
    path, ids, _ = suite(suite_models, "text_bilstm")
    model = quiver.Model.load(path)
    want = model.predict(ids)[0]
    fortran = np.asfortranarray(ids)
    assert not fortran.flags.c_contiguous
    assert np.array_equal(model.predict(fortran)[0], want)
    strided = np.zeros((ids.shape[0] * 2, ids.shape[1]), dtype=np.int32)
    strided[::2] = ids
    assert np.array_equal(model.predict(strided[::2])[0], want)
    reversed_rows = ids[::-1]
    assert np.array_equal(model.predict(reversed_rows)[0], want[::-1])
    # Nested lists too.
    assert np.array_equal(model.predict(ids.tolist())[0], want)


def test_c_contiguous_int32_input_is_not_copied(quiver, suite_models):
    """tracemalloc sees NumPy's allocations: an int32 C-contiguous batch must not be copied,
    an int64 one must be (the check sees both, so it can fail)."""
    path, ids, _ = suite(suite_models, "ids_lstm")
    model = quiver.Model.load(path)
    big = np.ascontiguousarray(np.tile(ids, (64, 1)))  # 768 x 40 int32 = 120 KiB
    model.predict(big)
    gc.collect()

    def peak_during(arr):
        tracemalloc.start()
        model.predict(arr)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak

    assert peak_during(big) < big.nbytes / 2
    wide = big.astype(np.int64)
    assert peak_during(wide) >= big.nbytes  # the int32 copy


def test_outputs_are_independent_arrays(quiver, suite_models):
    path, ids, _ = suite(suite_models, "text_bilstm")
    model = quiver.Model.load(path)
    a = model.predict(ids)[0]
    b = model.predict(ids)[0]
    a[:] = 7
    assert not np.array_equal(a, b)
    assert a.flags.writeable and a.flags.owndata is False  # owned by quiver's buffer


@pytest.mark.parametrize("bad,match", [
    (np.zeros((2, 80), dtype=np.float32), "integer token ids"),
    (np.zeros((2, 80), dtype=bool), "integer token ids"),
    (np.zeros(80, dtype=np.int32), r"2-D array .*\(80,\)"),
    (np.zeros((1, 2, 80), dtype=np.int32), "2-D array"),
    ([[1, 2], [3]], "token ids"),
    (np.full((1, 80), 2**40, dtype=np.int64), "int32 range"),
    (np.full((1, 80), 60, dtype=np.int32), "60"),  # vocab_size 60: ids 0..59
    (np.full((1, 80), -1, dtype=np.int32), "-1"),
])
def test_bad_ids_raise_invalid_argument(quiver, suite_models, bad, match):
    path, _, _ = suite(suite_models, "text_bilstm")
    model = quiver.Model.load(path)
    with pytest.raises(quiver.InvalidArgumentError, match=match) as e:
        model.predict(bad)
    assert isinstance(e.value, ValueError) and isinstance(e.value, quiver.Error)
    assert e.value.code == "invalid argument"


def test_wrong_length_for_a_fixed_length_model_is_refused(quiver, suite_models):
    path, ids, _ = suite(suite_models, "text_bilstm")
    with pytest.raises(quiver.InvalidArgumentError):
        quiver.Model.load(path).predict(ids[:, :40])


def test_load_errors_are_exceptions(quiver, tmp_path):
    with pytest.raises(quiver.NotFoundError, match="missing.h5") as e:
        quiver.Model.load(tmp_path / "missing.h5")
    assert isinstance(e.value, FileNotFoundError)
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(quiver.Error) as e:
        quiver.Model.load(junk)
    assert type(e.value) in (quiver.CorruptModelError, quiver.UnsupportedError)
    assert "junk.h5" in str(e.value)
    text = tmp_path / "notes.h5"
    text.write_text("hello")
    with pytest.raises(quiver.Error, match="notes.h5"):
        quiver.Model.load(text)
    with pytest.raises(quiver.InvalidArgumentError, match="fp16"):
        quiver.Model.load(junk, weights="fp16")


def test_truncated_model_raises_and_does_not_crash(quiver, suite_models, tmp_path):
    path, _, _ = suite(suite_models, "text_bilstm")
    data = open(path, "rb").read()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 100):
        p = tmp_path / ("cut%d.h5" % cut)
        p.write_bytes(data[:cut])
        with pytest.raises(quiver.Error):
            quiver.Model.load(p)


def test_predict_texts_with_a_keras_tokenizer(quiver, suite_models):
    """Keras' pipeline: keras_preprocessing's tokenizer + pad_sequences give the ids; quiver's
    predict_texts must give the answer of those ids."""
    from keras_preprocessing.text import tokenizer_from_json
    from keras_preprocessing.sequence import pad_sequences
    d = os.path.join(suite_models, "text_bilstm")
    model = quiver.Model.load(os.path.join(d, "model.h5"))
    json_text = open(os.path.join(d, "tokenizer.json"), encoding="utf-8").read()
    texts = ["vaksin aman dan halal", "hoax vaksin menyebar di media sosial", "kata baru sekali"]
    keras_ids = pad_sequences(tokenizer_from_json(json_text).texts_to_sequences(texts), maxlen=80)
    want = model.predict(keras_ids.astype(np.int32))[0]
    got = model.predict_texts(texts, tokenizer=quiver.Tokenizer.from_json(json_text))[0]
    assert np.array_equal(got, want)
    post = model.predict_texts(texts, tokenizer=quiver.Tokenizer.from_json(json_text), padding="post")[0]
    keras_post = pad_sequences(tokenizer_from_json(json_text).texts_to_sequences(texts), maxlen=80,
                               padding="post")
    assert np.array_equal(post, model.predict(keras_post)[0])
    with pytest.raises(quiver.InvalidArgumentError, match="tokenizer"):
        model.predict_texts(texts)
    with pytest.raises(quiver.InvalidArgumentError, match="list of strings"):
        model.predict_texts("one text", tokenizer=quiver.Tokenizer.from_json(json_text))
