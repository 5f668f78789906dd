"""quiver.Tokenizer, pad_sequences and segment against their independent references:
Debian's python3-keras-preprocessing (Keras' own Tokenizer and pad_sequences) and
python3-jieba."""
import pickle

import numpy as np
import pytest
from keras_preprocessing.sequence import pad_sequences as keras_pad
from keras_preprocessing.text import Tokenizer as KerasTokenizer
from keras_preprocessing.text import tokenizer_from_json

TEXTS = [
    "The food was GREAT, really great!", "Terrible service -- never again.",
    "Straße und Maß: ÉCOLE élève", "ΣΊΣΥΦΟΣ ΟΔΟΣ", "emoji 🙂 text 🙂", "", "the the the",
    "tabs\tand\nnewlines here", "numbers 123 and 4.5",
]


@pytest.mark.parametrize("kwargs", [
    {}, {"num_words": 5}, {"oov_token": "<OOV>"}, {"num_words": 4, "oov_token": "<unk>"},
    {"lower": False}, {"char_level": True}, {"split": "e"}, {"filters": ""},
])
def test_tokenizer_matches_keras(quiver, kwargs):
    keras = KerasTokenizer(**kwargs)
    keras.fit_on_texts(TEXTS)
    ours = quiver.Tokenizer(**kwargs)
    ours.fit_on_texts(TEXTS)
    probe = TEXTS + ["unknown words great food", "GREAT great"]
    assert ours.texts_to_sequences(probe) == keras.texts_to_sequences(probe)
    assert ours.word_index == keras.word_index
    assert list(ours.word_counts.items()) == list(keras.word_counts.items())
    assert ours.document_count == keras.document_count
    # Our JSON is Keras' JSON: keras_preprocessing reads it back to the same tokenizer.
    back = tokenizer_from_json(ours.to_json())
    assert back.word_index == keras.word_index
    assert back.texts_to_sequences(probe) == keras.texts_to_sequences(probe)


def test_fit_is_keras_fit_on_texts(quiver):
    ours = quiver.Tokenizer.fit(TEXTS, num_words=6, oov_token="<OOV>")
    keras = KerasTokenizer(num_words=6, oov_token="<OOV>")
    keras.fit_on_texts(TEXTS)
    assert ours.texts_to_sequences(TEXTS) == keras.texts_to_sequences(TEXTS)
    assert ours.num_words == 6 and ours.oov_token == "<OOV>"


def test_from_json_and_from_pickle_read_keras_files(quiver, tmp_path):
    keras = KerasTokenizer(num_words=50, oov_token="<OOV>")
    keras.fit_on_texts(TEXTS)
    from_json = quiver.Tokenizer.from_json(keras.to_json())
    assert from_json.texts_to_sequences(TEXTS) == keras.texts_to_sequences(TEXTS)
    for protocol in (2, 3, 4, 5):
        data = pickle.dumps(keras, protocol=protocol)
        t = quiver.Tokenizer.from_pickle(data)
        assert t.texts_to_sequences(TEXTS) == keras.texts_to_sequences(TEXTS)
        p = tmp_path / ("tok%d.pickle" % protocol)
        p.write_bytes(data)
        assert quiver.Tokenizer.load(p).word_index == keras.word_index
    (tmp_path / "tok.json").write_text(keras.to_json())
    assert quiver.Tokenizer.load(str(tmp_path / "tok.json")).word_index == keras.word_index


def test_a_pickle_that_runs_code_is_refused(quiver, tmp_path):
    class Evil:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))
    with pytest.raises(quiver.UnsupportedError):
        quiver.Tokenizer.from_pickle(pickle.dumps(Evil(), protocol=4))
    assert not (tmp_path / "pwned").exists()
    with pytest.raises(quiver.CorruptModelError):
        quiver.Tokenizer.from_json("{not json")
    with pytest.raises(quiver.NotFoundError):
        quiver.Tokenizer.load(tmp_path / "none.json")


def test_a_single_string_is_not_taken_as_characters(quiver):
    t = quiver.Tokenizer.fit(TEXTS)
    with pytest.raises(quiver.InvalidArgumentError, match="list of strings"):
        t.texts_to_sequences("the food")
    with pytest.raises(quiver.InvalidArgumentError, match="list of strings"):
        quiver.Tokenizer.fit("the food")


@pytest.mark.parametrize("kwargs", [
    {}, {"maxlen": 3}, {"maxlen": 6, "padding": "post"}, {"maxlen": 2, "truncating": "post"},
    {"maxlen": 4, "padding": "post", "truncating": "post", "value": 9},
])
def test_pad_sequences_matches_keras(quiver, kwargs):
    seqs = [[1, 2, 3, 4, 5], [6], [], [7, 8, 9]]
    want = keras_pad(seqs, **kwargs)
    got = quiver.pad_sequences(seqs, **kwargs)
    assert got.dtype == np.int32
    assert got.shape == want.shape
    assert np.array_equal(got, want)
    # NumPy rows too.
    assert np.array_equal(quiver.pad_sequences([np.array(s, dtype=np.int64) for s in seqs], **kwargs), want)


def test_pad_sequences_refuses_bad_arguments(quiver):
    with pytest.raises(quiver.InvalidArgumentError, match="padding"):
        quiver.pad_sequences([[1]], padding="middle")
    with pytest.raises(quiver.InvalidArgumentError, match="dtype"):
        quiver.pad_sequences([[1]], dtype="float32")
    with pytest.raises(quiver.InvalidArgumentError, match="integer sequences"):
        quiver.pad_sequences([["a"]])


ZH = ["我们在北京清华大学学习自然语言处理", "这个手机的质量非常好，运行速度很快",
      "小明硕士毕业于中国科学院计算所，后在日本京都大学深造", "English words 和 中文 mixed 123"]


@pytest.mark.parametrize("mode,hmm,search", [("jieba", True, False), ("jieba-nohmm", False, False),
                                             ("jieba-search", True, True)])
def test_segment_matches_python_jieba(quiver, mode, hmm, search):
    import jieba
    jieba.setLogLevel(60)
    seg = quiver.Segmenter(mode)
    assert seg.mode == mode
    for text in ZH:
        want = list(jieba.cut_for_search(text) if search else jieba.cut(text, HMM=hmm))
        assert seg.segment(text) == want
        assert seg(text) == want
        assert quiver.segment(text, mode=mode) == want


def test_segmenter_errors(quiver, tmp_path):
    with pytest.raises(quiver.InvalidArgumentError, match="jieba"):
        quiver.Segmenter("jeiba")
    with pytest.raises(quiver.NotFoundError):
        quiver.Segmenter("jieba", jieba_dir=tmp_path)
