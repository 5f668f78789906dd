#!/usr/bin/python3
"""The models the server tests serve, made by the suite itself (no ../shared needed).

usage: make_suite_models.py OUT_DIR

Each OUT_DIR/<name>/ looks like a folder of ../shared/keras-models: a Keras model file with
random weights (written by the golden harness, tests/golden: model_writer in a real Keras
file layout), inputs.jsonl (padded id rows) and expected.jsonl (the reference outputs from
TensorFlow.js Layers, or the numpy Keras reference where tfjs departs from Keras: never
quiver's own numbers). The text models also get a tokenizer that Debian's
keras_preprocessing fitted (tokenizer.json; tokenizer.pkl, pickled, for the Chinese one,
fitted on jieba's cut of the texts as a Keras user would). Deterministic: fixed seeds.

  text_bilstm      T=80, Embedding(60) + Bidirectional(LSTM) + Dense(1, sigmoid), tf.keras
                   2.11 .h5, tokenizer.json fitted on short Indonesian sentences
  ids_lstm         any length (inputs of 40), Embedding(5000) + LSTM + Dense(1, sigmoid),
                   tf.keras 1.15 .h5
  textcnn_zh       T=50, Embedding(80) + Conv1D x3 + GlobalMaxPooling1D + Dense(1, sigmoid),
                   Keras 2.3 .h5, tokenizer.pkl fitted on jieba-cut Chinese reviews
  multilabel_lstm  T=50, Embedding(30) + LSTM + Dense(5, sigmoid), Keras 3 .h5
  simplernn_keras  T=50, Embedding(30) + SimpleRNN + Dense(1, sigmoid), Keras 3 .keras zip
"""
import json
import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
import make_models  # noqa: E402
import reference_predict  # noqa: E402

ID_TEXTS = [
    "vaksin covid aman untuk semua orang", "pemerintah gagal menangani pandemi",
    "vaksin sinovac halal dan efektif", "hoax tentang vaksin menyebar di media sosial",
    "saya takut disuntik vaksin", "saya sangat senang", "obat virus corona di indonesia",
    "data dan bukti vaksin aman", "vaksin aman dan halal", "hoax vaksin menyebar",
    "pandemi covid di indonesia", "pemerintah menangani data vaksin dengan baik",
]
ZH_TEXTS = [
    "这个手机的质量非常好，运行速度很快", "包装很差，物流太慢了，不推荐购买",
    "外观漂亮，性价比高，非常喜欢", "屏幕有点暗，电池也不耐用，总体一般",
    "我们在北京清华大学学习自然语言处理", "客服态度很好，发货速度快，给五星好评",
    "质量一般，价格偏贵", "物流很快，包装完好，非常满意", "电池不耐用，屏幕太暗",
]


def chain(*layers):
  return lambda net: net.chain(*[l(net) if callable(l) else l for l in layers])


CASES = [
    ("text_bilstm", "tf2.11", chain(
        make_models.emb(True, input_dim=60),
        lambda n: make_models.bidi(n, "LSTM", recurrent_activation="sigmoid"),
        make_models.dense(1, "sigmoid")), {"T": 80, "V": 60}),
    ("ids_lstm", "tf1.15", chain(
        make_models.emb(False, input_dim=5000), make_models.lstm_k2(),
        make_models.dense(1, "sigmoid")), {"T": 40, "V": 5000, "dynamic_len": True}),
    ("textcnn_zh", "k2.3.1", make_models.textcnn(80), {"T": 50, "V": 80}),
    ("multilabel_lstm", "k3.8-h5", chain(
        make_models.emb(False), make_models.rnn("LSTM", recurrent_activation="sigmoid"),
        make_models.dense(5, "sigmoid")), {"T": 50}),
    ("simplernn_keras", "k3.8-keras", chain(
        make_models.emb(False), make_models.rnn("SimpleRNN"), make_models.dense(1, "sigmoid")),
     {"T": 50}),
]


def write_tokenizers(out_dir):
  import jieba
  import logging
  from keras_preprocessing.text import Tokenizer
  jieba.setLogLevel(logging.WARNING)
  t = Tokenizer(num_words=60)
  t.fit_on_texts(ID_TEXTS)
  with open(os.path.join(out_dir, "text_bilstm", "tokenizer.json"), "w") as f:
    f.write(t.to_json())
  zh = Tokenizer(num_words=80)
  zh.fit_on_texts([" ".join(jieba.cut(x)) for x in ZH_TEXTS])
  with open(os.path.join(out_dir, "textcnn_zh", "tokenizer.pkl"), "wb") as f:
    pickle.dump(zh, f)


def main():
  out_dir = sys.argv[1]
  os.makedirs(out_dir, exist_ok=True)
  metas, specs = [], []
  for entry in CASES:
    meta, spec = make_models.build_case(entry, out_dir)
    metas.append(meta)
    specs.append(spec)
  results = reference_predict.predict_many(specs)
  for meta in metas:
    r = results[meta["name"]]
    print(reference_predict.describe(meta["name"], r))
    if "outputs" not in r:
      return 1
    with open(os.path.join(out_dir, meta["name"], "expected.jsonl"), "w") as f:
      for row in r["outputs"]:
        f.write(json.dumps(row) + "\n")
  write_tokenizers(out_dir)
  return 0


if __name__ == "__main__":
  sys.exit(main())
