#!/usr/bin/python3
"""Writes models whose TextVectorization uses Python callables, and the ids Keras gives.

Usage: make_custom_text_model.py OUT_DIR

The callables are the Keras text classification tutorial's `custom_standardization`
(keras-io examples/nlp/text_classification_from_scratch.py: tf.strings.lower, then
regex_replace "<br />" -> " ", then regex_replace of string.punctuation -> "") and a
`comma_split` (tf.strings.split(x, sep=","): every comma separates, empty tokens kept).
Models (InputLayer(string) -> TextVectorization(int, output_sequence_length 10, vocabulary in
the config) -> Embedding -> GlobalAveragePooling1D -> Dense):
  custom_std.h5      tf.keras 2.11: "standardize": "custom_standardization" (the function's
                     __name__, json_utils.get_json_type)
  custom_std.keras   Keras 3.8: {"module": "builtins", "class_name": "function", "config":
                     "custom_standardization", "registered_name":
                     "Custom>custom_standardization"} (serialize_keras_object)
  custom_split.h5    tf.keras 2.11: standardize "lower", "split": "comma_split"
  unknown_std.h5     "standardize": "unknown_fn" (never registered)
ids.json: {model: {text: ids}} from text_vectorization_ref.py with the Python callables.
"""
import json
import os
import re
import string
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))

import model_writer  # noqa: E402
import text_model_writer  # noqa: E402
from net_builder import Net  # noqa: E402
from text_vectorization_ref import TextVectorization, standardize as builtin_std  # noqa: E402

PUNCT = "[%s]" % re.escape(string.punctuation)


def custom_standardization(text):
  lowercase = builtin_std(text, "lower")  # tf.strings.lower: ASCII A-Z only
  stripped_html = lowercase.replace("<br />", " ")
  return re.sub(PUNCT, "", stripped_html)


def comma_split(text):
  return text.split(",")  # tf.strings.split(sep=","): empty tokens stay


WORDS = ["movie", "great", "bad", "was", "the", "plot", "café", "good", "a b", "x"]
TEXTS = ["The MOVIE was great!<br />Really.", "bad,,plot<br />GOOD", "Café, crème; x,a b",
         "", "(the) [plot] {was} bad..."]


def write(out, name, style_key, std, split, fmt):
  layout = model_writer.LAYOUTS[style_key]
  vocab = ["", "[UNK]"] + WORDS
  net = Net(name, 10, len(vocab), 16)
  net.chain(("Embedding", dict(input_dim=len(vocab), output_dim=4, mask_zero=False)),
            ("GlobalAveragePooling1D", {}), ("Dense", dict(units=2, activation="softmax")))
  net.assign_names(layout.style)
  tv = text_model_writer.tv_config("text_vectorization", layout.style, vocabulary=WORDS,
                                   in_config=True, output_mode="int", output_sequence_length=10)
  tv["standardize"], tv["split"] = std, split
  path = os.path.join(out, name + "." + fmt)
  if fmt == "keras":
    text_model_writer.write_text_keras(path, net, layout, tv, vocab)
  else:
    text_model_writer.write_text_h5(path, net, layout, tv)
  return path


def main():
  out = sys.argv[1]
  os.makedirs(out, exist_ok=True)
  fn = {"module": "builtins", "class_name": "function", "config": "custom_standardization",
        "registered_name": "Custom>custom_standardization"}
  cases = {
      "custom_std.h5": ("tf2.11", "custom_standardization", "whitespace", custom_standardization,
                        "whitespace"),
      "custom_std.keras": ("k3.8-keras", fn, "whitespace", custom_standardization, "whitespace"),
      "custom_split.h5": ("tf2.11", "lower", "comma_split", "lower", comma_split),
      "unknown_std.h5": ("tf2.11", "unknown_fn", "whitespace", None, None),
  }
  ids = {}
  for file, (layout, std, split, py_std, py_split) in cases.items():
    name, fmt = file.split(".")
    write(out, name, layout, std, split, fmt)
    if py_std is None:
      continue
    ref = TextVectorization(["", "[UNK]"] + WORDS, standardize=py_std, split=py_split,
                            output_sequence_length=10)
    ids[file] = {t: [int(i) for i in ref(t)] for t in TEXTS}
  with open(os.path.join(out, "ids.json"), "w") as f:
    json.dump(ids, f, ensure_ascii=False)


if __name__ == "__main__":
  main()
