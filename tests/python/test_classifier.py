"""quiver.Classifier: KerasUtil's contract (train when the model file is missing, under a file
lock; load once; predictcategory) on quiver::Classifier, its answers against `quiver predict`
(the CLI), and thread safety."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import CATEGORIES, SOURCE_DIR, run_threads, write_csv

FAST = dict(epochs=2, units=8, embedding_dim=8, verbose=0)


def cli_answers(quiver_binary, model, texts):
    proc = subprocess.run([quiver_binary, "predict", "--model", model], input="\n".join(texts) + "\n",
                          capture_output=True, text=True, check=True)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def test_kerasutil_contract_trains_once_then_loads(quiver, tmp_path):
    csv = write_csv(tmp_path / "A.csv", CATEGORIES["A"])
    model = tmp_path / "A.h5"
    seen = []
    k = quiver.Classifier(rawtextpath=str(csv), lstmmodelpath=str(model), modeltype="lstm",
                          progress=seen.append, **FAST)
    assert model.exists() and (tmp_path / "A.tokenizer.json").exists()
    assert seen and seen[-1]["done"] and seen[-1]["epoch"] == 2
    assert not (tmp_path / "A.h5.lock").exists()
    mtime = model.stat().st_mtime_ns
    again = []
    k2 = quiver.Classifier(str(csv), str(model), "lstm", progress=again.append, **FAST)
    assert again == [] and model.stat().st_mtime_ns == mtime  # loaded, not trained
    assert k.labels == ["negative", "positive"]
    for text in ("the food was great", "terrible soup", "words it never saw"):
        a, b = k.predictcategory(text), k2.predict_category(text)
        assert a == b
        assert set(a) == {"label", "scores", "known_tokens"}
        assert a["label"] in k.labels and set(a["scores"]) == set(k.labels)
    assert k.predict_category("zzz qqq")["known_tokens"] == 0


def test_answers_equal_quiver_predict(quiver, quiver_binary, trained):
    for name in ("A", "C"):
        t = trained[name]
        k = quiver.Classifier(t["csv"], t["model"])
        texts = t["texts"] + ["completely new words", "", "great great great"]
        ours = k.predict_categories(texts)
        cli = cli_answers(quiver_binary, t["model"], texts)
        assert len(ours) == len(cli) == len(texts)
        for o, c, text in zip(ours, cli, texts):
            assert o["label"] == c["label"], text
            scores = [o["scores"][label] for label in k.labels]
            assert np.array_equal(np.float32(scores), np.float32(c["scores"])), text
        assert [k.predict_category(x) for x in texts] == ours


def test_memory_policy_keeps_every_answer(quiver, trained):
    # Classifier(memory_policy=..., memory_budget_mb=...) loads its model as Model.load does:
    # fp32, lazy and none tables (and a budget too small for any) give the same bits.
    t = trained["A"]
    texts = t["texts"] + ["completely new words", ""]
    want = quiver.Classifier(t["csv"], t["model"], memory_policy="fp32").predict_categories(texts)
    for kw in (dict(memory_policy="none"), dict(memory_policy="lazy"), dict(memory_budget_mb=0.0001)):
        k = quiver.Classifier(t["csv"], t["model"], **kw)
        assert k.predict_categories(texts) == want, kw
    with pytest.raises(quiver.InvalidArgumentError, match="memory policy 'int8'"):
        quiver.Classifier(t["csv"], t["model"], memory_policy="int8")


def test_modelpath_spellings_and_errors(quiver, trained, tmp_path):
    a = trained["A"]
    assert quiver.Classifier(modelpath=a["model"]).labels == ["negative", "positive"]
    assert quiver.Classifier(lstmmodelpath=a["model"]).labels == ["negative", "positive"]
    with pytest.raises(quiver.InvalidArgumentError, match="lstmmodelpath"):
        quiver.Classifier(modelpath=a["model"], lstmmodelpath=trained["B"]["model"])
    with pytest.raises(quiver.InvalidArgumentError, match="modelpath"):
        quiver.Classifier(a["csv"])
    with pytest.raises(quiver.NotFoundError):
        quiver.Classifier(modelpath=str(tmp_path / "missing.h5"))
    with pytest.raises(quiver.InvalidArgumentError, match="epoch"):
        quiver.Classifier(a["csv"], str(tmp_path / "new.h5"), epoch=3)
    custom = quiver.Classifier(modelpath=a["model"], labels=["bad", "good"])
    assert custom.labels == ["bad", "good"]
    assert set(custom.predict_category("great food")["scores"]) == {"bad", "good"}
    with pytest.raises(quiver.InvalidArgumentError):
        quiver.Classifier(modelpath=a["model"], labels=["one", "two", "three"])


def test_multiplelabels_trains_a_multi_label_model(quiver, tmp_path):
    rows = [("great coffee and cake", "drink|food"), ("cold beer", "drink"), ("fresh bread", "food"),
            ("tea and biscuits", "drink|food"), ("orange juice", "drink"), ("a warm pie", "food"),
            ("the service was slow", "service"), ("rude staff", "service"),
            ("slow service and cold coffee", "drink|service")]
    csv = write_csv(tmp_path / "M.csv", rows)
    k = quiver.Classifier(str(csv), str(tmp_path / "M.h5"), modeltype="lstm", multiplelabels=True, **FAST)
    assert k.info["multi_label"] is True
    assert k.labels == ["drink", "food", "service"]
    r = k.predict_category("cold coffee")
    assert "labels" in r and set(r["labels"]) <= set(k.labels)
    assert set(r["scores"]) == set(k.labels)


RACE = """
import os, sys, quiver
marks = []
k = quiver.Classifier(sys.argv[1], sys.argv[2], modeltype="lstm", epochs=3, units=8,
                      embedding_dim=8, verbose=0, progress=marks.append)
if marks:
    open(os.path.join(sys.argv[3], "trained.%d" % os.getpid()), "w").close()
print(repr(k.predict_category("the food was great")))
"""


def test_racing_processes_train_the_missing_model_once(tmp_path):
    csv = write_csv(tmp_path / "A.csv", CATEGORIES["A"])
    script = tmp_path / "race.py"
    script.write_text(RACE)
    procs = [subprocess.Popen([sys.executable, str(script), str(csv), str(tmp_path / "A.h5"),
                               str(tmp_path)], stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate()[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(list(tmp_path.glob("trained.*"))) == 1
    assert len(set(outs)) == 1  # everyone answers with the one model
    assert not (tmp_path / "A.h5.lock").exists()


def test_32_threads_on_three_classifiers_are_bit_identical(quiver, trained):
    ks = {n: quiver.Classifier(t["csv"], t["model"]) for n, t in trained.items()}
    texts = [x for t in trained.values() for x in t["texts"]]
    want = {(n, x): ks[n].predict_category(x) for n in ks for x in texts}
    errors = []

    def worker(seed):
        rng = np.random.RandomState(seed)
        keys = list(want)
        for i in rng.permutation(len(keys))[:60]:
            n, x = keys[i]
            if ks[n].predict_category(x) != want[(n, x)]:
                errors.append((seed, n, x))
        batch = [keys[i] for i in rng.permutation(len(keys))[:10]]
        for n in ks:
            xs = [x for m, x in batch if m == n]
            if xs and ks[n].predict_categories(xs) != [want[(n, x)] for x in xs]:
                errors.append((seed, n, "batch"))
    run_threads(32, worker)
    assert errors == []


def test_a_textvectorization_model_classifies_raw_text(quiver, tmp_path):
    """A Keras model that starts with TextVectorization (tf.keras 2.11 .h5, vocabulary in the
    config): Classifier gives it the texts themselves. Reference: the ids Keras'
    TextVectorization gives (tests/golden/text_vectorization_ref.py, from Keras' source) run
    through Model.predict."""
    golden = os.path.join(SOURCE_DIR, "tests", "golden")
    sys.path.insert(0, golden)
    import model_writer
    import text_model_writer
    from net_builder import Net
    from text_vectorization_ref import TextVectorization
    vocab = ["the", "food", "was", "great", "cold", "service", "never", "again"]
    t = 8
    ref = TextVectorization(["", "[UNK]"] + vocab, output_sequence_length=t)
    net = Net("tv_lstm", t, ref.size, 1234)
    net.chain(("Embedding", dict(input_dim=ref.size, output_dim=6, mask_zero=True)),
              ("LSTM", dict(units=5, recurrent_activation="sigmoid")),
              ("Dense", dict(units=3, activation="softmax")))
    layout = model_writer.LAYOUTS["tf2.11"]
    net.assign_names(layout.style)
    model_writer.write(net, layout, str(tmp_path))
    tv = text_model_writer.tv_config("text_vectorization", layout.style, vocabulary=vocab,
                                     in_config=True, output_sequence_length=t)
    path = str(tmp_path / "text_model.h5")
    text_model_writer.write_text_h5(path, net, layout, tv)
    k = quiver.Classifier(modelpath=path)
    assert k.labels == ["0", "1", "2"]
    texts = ["The food was GREAT!", "cold service, never again", "unknown words only", ""]
    got = k.predict_categories(texts)
    ids = np.array([ref(x) for x in texts], dtype=np.int32)
    want = quiver.Model.load(path).predict(ids)[0]
    for g, w in zip(got, want):
        assert [g["scores"][label] for label in k.labels] == [float(x) for x in w]
        assert g["label"] == k.labels[int(np.argmax(w))]
    assert got[2]["known_tokens"] == 0 and got[0]["known_tokens"] == 4
