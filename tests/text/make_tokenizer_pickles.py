#!/usr/bin/python3
"""Pickled Keras tokenizers and Python's own sequences for them (tokenizer_pickle_test.cc).

Usage: make_tokenizer_pickles.py OUT_DIR     (exits 77 without python3-keras-preprocessing)
       make_tokenizer_pickles.py --sequences TOKENIZER.json
           prints keras_preprocessing's tokenizer_from_json(file).texts_to_sequences(ASK)
           as JSON (how the test checks quiver convert-tokenizer's output)

Debian's python3-keras-preprocessing fits Tokenizers with several configurations
(num_words, oov_token set/unset, char_level, lower, filters, split) on Chinese, accented and
emoji text, and pickle.dump()s each with protocols 2, 3, 4 and 5. The same tokenizer is also
pickled under the other module paths Keras versions gave the class (the class's __module__
set to that path and registered in sys.modules, which is what pickle records), and with
tf.keras' extra attribute analyzer=None. cases.json lists, per file, the texts and
Python's texts_to_sequences for them. Also written: pickles quiver must refuse.
"""
import json
import os
import pickle
import sys
import types
from collections import OrderedDict

try:
    from keras_preprocessing import text as kp_text
except ImportError:
    sys.exit(77)

FIT = [
    "The quick brown fox jumps over the lazy dog!",
    "Ünïcödé accents: café, naïve, Ångström, İstanbul, ΟΔΟΣ.",
    "中文 文本 分类 模型 中文 测试",
    "emoji 😀 party 🎉🎉 and flags 🇫🇷",
    "the the the repeated words Words WORDS",
    "tabs\tand\nnewlines, commas; semicolons: colons",
]
ASK = FIT + [
    "unseen words only",
    "The CAFÉ 中文 😀 fox unknown",
    "",
    "İSTANBUL ΟΔΟΣ ünïcödé",
]

CONFIGS = {
    "default": {},
    "oov": {"oov_token": "<OOV>"},
    "num_words_oov": {"num_words": 6, "oov_token": "[UNK]"},
    "num_words": {"num_words": 5},
    "char_level": {"char_level": True, "oov_token": "?"},
    "no_lower_filters_split": {"lower": False, "filters": "!,.", "split": ","},
}

MODULES = [
    "keras.preprocessing.text",
    "tensorflow.keras.preprocessing.text",
    "tensorflow.python.keras.preprocessing.text",
    "keras.src.preprocessing.text",
    "keras.src.legacy.preprocessing.text",
    "tf_keras.src.preprocessing.text",
]


def fitted(config):
    tok = kp_text.Tokenizer(**config)
    tok.fit_on_texts(FIT)
    return tok


def register(module_name):
    """Makes module_name (and its parents) importable, holding the Tokenizer class."""
    parts = module_name.split(".")
    for i in range(1, len(parts) + 1):
        name = ".".join(parts[:i])
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules[module_name].Tokenizer = kp_text.Tokenizer


def dump(path, obj, protocol, module="keras_preprocessing.text"):
    cls = kp_text.Tokenizer
    cls.__module__ = module
    try:
        with open(path, "wb") as f:
            pickle.dump(obj, f, protocol=protocol)
    finally:
        cls.__module__ = "keras_preprocessing.text"


def evil_call():
    """(os.system, ('touch MARKER',)) as a pickle's REDUCE: must never run."""
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch " + os.path.join(OUT, "EXECUTED"),))
    return Evil()


class Stranger:
    pass


def my_analyzer(text):
    return text.split()


def main():
    cases = []
    for name, config in CONFIGS.items():
        tok = fitted(config)
        seqs = tok.texts_to_sequences(ASK)
        for protocol in (2, 3, 4, 5):
            path = "%s_p%d.pickle" % (name, protocol)
            dump(os.path.join(OUT, path), tok, protocol)
            cases.append({"file": path, "texts": ASK, "sequences": seqs, "config": name})
    tok = fitted(CONFIGS["oov"])
    seqs = tok.texts_to_sequences(ASK)
    for i, module in enumerate(MODULES):
        register(module)
        path = "module_%d.pkl" % i
        dump(os.path.join(OUT, path), tok, 2 + i % 4, module)
        cases.append({"file": path, "texts": ASK, "sequences": seqs, "config": "oov",
                      "module": module})
    tok_tf = fitted(CONFIGS["num_words_oov"])
    tok_tf.analyzer = None  # tf.keras / Keras 3's attribute
    dump(os.path.join(OUT, "analyzer_none.pickle"), tok_tf, 4)
    cases.append({"file": "analyzer_none.pickle", "texts": ASK,
                  "sequences": tok_tf.texts_to_sequences(ASK), "config": "num_words_oov"})
    with open(os.path.join(OUT, "word_index.pickle"), "wb") as f:  # a bare word_index dict
        pickle.dump(fitted({}).word_index, f, protocol=4)
    cases.append({"file": "word_index.pickle", "texts": ASK,
                  "sequences": fitted({}).texts_to_sequences(ASK), "config": "default"})
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f, ensure_ascii=False)

    # Pickles to refuse.
    with open(os.path.join(OUT, "evil_call.pickle"), "wb") as f:
        pickle.dump(evil_call(), f, protocol=2)
    stranger = Stranger()
    stranger.word_index = {"a": 1}
    with open(os.path.join(OUT, "stranger.pickle"), "wb") as f:
        pickle.dump(stranger, f, protocol=4)
    tok = fitted({})
    tok.analyzer = my_analyzer
    dump(os.path.join(OUT, "analyzer_function.pickle"), tok, 3)
    nested = []
    for _ in range(100):
        nested = [nested]
    with open(os.path.join(OUT, "nested.pickle"), "wb") as f:
        pickle.dump(nested, f, protocol=2)
    tok = fitted({})
    tok.word_index = OrderedDict(tok.word_index)
    tok.word_index[("a", "tuple")] = 99
    dump(os.path.join(OUT, "bad_key.pickle"), tok, 3)
    with open(os.path.join(OUT, "truncated.pickle"), "wb") as f:
        f.write(pickle.dumps(fitted({}), protocol=4)[:-20])


if __name__ == "__main__":
    if sys.argv[1] == "--sequences":
        with open(sys.argv[2], encoding="utf-8") as f:
            print(json.dumps(kp_text.tokenizer_from_json(f.read()).texts_to_sequences(ASK)))
    else:
        OUT = sys.argv[1]
        main()
