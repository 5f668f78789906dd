#!/usr/bin/python3
"""Golden test for models that take raw strings (TextVectorization first), CTest
golden_text_vectorization[_LEVEL].

usage: run_text_golden.py --quiver BIN --work DIR

For every case: a random-weight body (net_builder.Net) is written as an id / vector model and
as the same model behind InputLayer(string) -> TextVectorization (text_model_writer.py: .keras
with assets/.../vocabulary.txt, LF or CRLF; .h5 with the vocabulary in the config). The
expected outputs are the body's reference outputs (reference_predict.py: TensorFlow.js, or the
numpy Keras reference) on what text_vectorization_ref.py (Keras' algorithm in Python) makes
of the texts. `quiver predict --model TEXT_MODEL` must give them within 1e-5 from the text
lines alone, and each row's bits must not change when the lines are reversed.
Exit 77 (skipped) when node / h5py / numpy are missing.
"""

import argparse
import json
import math
import time
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run_golden import deps_missing  # noqa: E402

if __name__ == "__main__" and deps_missing():
  print("SKIP: %s" % deps_missing())
  sys.exit(77)

import numpy as np  # noqa: E402

import model_writer  # noqa: E402
import reference_predict  # noqa: E402
import text_model_writer  # noqa: E402
from net_builder import Net  # noqa: E402
from text_vectorization_ref import TextVectorization  # noqa: E402

TOL = 1e-5

TEXTS = [
    "The movie was GREAT, really great!",
    "CAFÉ crème: café au lait",                      # É is not ASCII: tf lower keeps it
    "\u201cquoted\u201d words and \u2018single\u2019 ones",  # curly quotes are not stripped
    "我爱北京天安门 今天 天气 很好",                    # Chinese
    "good 😀 emoji 👍🏽 great",                         # emoji (with a skin-tone modifier)
    "no\u00a0break space\tand\ttabs   and  runs",     # U+00A0 does not split; tabs do
    "",                                               # empty: all padding / zero vector
    "unknown words only zzz qqq",                     # OOV
    "don't stop-believing (it's) #1 @home",           # punctuation inside words
    "great great great movie movie bad bad bad bad boring the the the a a of of x y z w",
    "MiXeD CaSe WORDS Bad Movie",
    "天气很好，我们去公园。",                            # CJK punctuation stays
]

WORDS = ["the", "movie", "was", "great", "really", "café", "cafÉ", "crème", "au", "lait",
         "\u201cquoted\u201d", "words", "and", "\u2018single\u2019", "ones", "我爱北京天安门",
         "今天", "天气", "很好", "good", "😀", "emoji", "👍🏽", "no\u00a0break", "space", "tabs",
         "runs", "dont", "stopbelieving", "its", "1", "home", "bad", "boring", "a", "of",
         "mixed", "case", "天气很好，我们去公园。", "MiXeD"]
CHARS = ["t", "h", "e", " ", "m", "o", "v", "i", "a", "g", "r", "天", "气", "很", "好", "我",
         "😀", "é", "É", "c", "f", "，", "。", "\u201c", "\u00a0"]


def body_int(t, v, mask=True, dynamic=False, cls="LSTM"):
  def build(net):
    net.dynamic_len = dynamic
    net.chain(("Embedding", dict(input_dim=v, output_dim=6, mask_zero=mask)),
              (cls, dict(units=5, recurrent_activation="sigmoid",
                         **({"reset_after": True} if cls == "GRU" else {}))),
              ("Dense", dict(units=3, activation="softmax")))
  return build


def body_vector(depth):
  def build(net):
    net.chain(("Dense", dict(units=4, activation="relu")),
              ("Dense", dict(units=2, activation="softmax")))
  return build


def bigrams(words):
  return words[:12] + ["%s %s" % (a, b) for a, b in zip(words[:6], words[1:7])]


def idf_for(n, seed):
  return np.random.default_rng(seed).uniform(0.2, 3.0, n).round(6)


# (name, layout, TextVectorization kwargs, vocabulary, {fmt, crlf, vocab_in_config, with_special})
CASES = [
    ("tv_int_k3_keras_crlf", "k3.8-keras",
     dict(output_mode="int", output_sequence_length=8), WORDS, {"crlf": True}),
    ("tv_int_nolen_k3_keras", "k3.8-keras", dict(output_mode="int"), WORDS, {}),
    ("tv_int_char_tf2.13_keras", "tf2.13-keras",
     dict(output_mode="int", split="character", standardize="lower", output_sequence_length=12),
     CHARS, {}),
    ("tv_int_ngrams_tf2.11_h5", "tf2.11",
     dict(output_mode="int", ngrams=2, output_sequence_length=10, standardize="strip_punctuation"),
     bigrams(WORDS), {"vocab_in_config": True}),
    ("tv_int_nostd_k3_h5", "k3.8-h5",
     dict(output_mode="int", standardize=None, output_sequence_length=6, max_tokens=60),
     WORDS, {"vocab_in_config": True, "with_special": True}),
    ("tv_multi_hot_k3_keras", "k3.8-keras", dict(output_mode="multi_hot"), WORDS, {}),
    ("tv_count_ngrams_tf2.11_h5", "tf2.11", dict(output_mode="count", ngrams=[1, 2]),
     bigrams(WORDS), {"vocab_in_config": True}),
    ("tv_tfidf_k3_keras", "k3.8-keras", dict(output_mode="tf_idf"), WORDS, {}),
    ("tv_tfidf_config_tf2.11_h5", "tf2.11", dict(output_mode="tf_idf"), WORDS,
     {"vocab_in_config": True}),
    # the tutorials' end-to-end models: the trained model nested behind TextVectorization,
    # then Activation("sigmoid")
    ("tv_nested_sequential_tf2.11_h5", "tf2.11",
     dict(output_mode="int", output_sequence_length=8), WORDS,
     {"vocab_in_config": True, "nested": "Sequential"}),
    ("tv_nested_functional_k3_keras", "k3.8-keras",
     dict(output_mode="int", output_sequence_length=8), WORDS, {"nested": "Functional"}),
    ("tv_multi_hot_pad_max_k3_keras", "k3.8-keras",
     dict(output_mode="multi_hot", max_tokens=64, pad_to_max_tokens=True, split="character"),
     CHARS, {}),
]


def build_case(entry, work):
  name, layout_key, kw, vocab, opts = entry
  layout = model_writer.LAYOUTS[layout_key]
  seed = sum(ord(c) * (i + 1) for i, c in enumerate(name)) % (2 ** 31)
  mode = kw["output_mode"]
  special = ["", "[UNK]"] if mode == "int" else ["[UNK]"]
  full_vocab = special + list(vocab)  # get_vocabulary(include_special_tokens=True)
  idf = idf_for(len(vocab), seed) if mode == "tf_idf" else None
  idf_full = None
  if idf is not None:  # what the layer holds: front-padded with the mean (IL 578-582)
    idf_full = np.concatenate([[idf.mean()], idf])
  ref = TextVectorization(full_vocab, idf_weights=idf_full, **kw)
  if mode == "int":
    t = kw.get("output_sequence_length") or 0
    rows = [ref(x) for x in TEXTS]
    longest = max(1, max(len(r) for r in rows))
    rows = [(r + [0] * longest)[:longest] if not t else r for r in rows]
    # Without output_sequence_length each text runs at its own length in quiver; with a
    # mask_zero Embedding, padding the reference batch at the end gives the same outputs.
    net = Net(name.replace(".", "_"), t or longest, ref.size, seed)
    body_int(t or longest, ref.size, dynamic=not t)(net)
    inputs = rows
  else:
    net = Net(name.replace(".", "_"), ref.depth, ref.size, seed)
    body_vector(ref.depth)(net)
    inputs = [ref(x).astype(np.float64).tolist() for x in TEXTS]
  net.assign_names(layout.style)
  net.sequential = net.sequential and layout.style in ("tfk", "k3")
  folder = os.path.join(work, name)
  os.makedirs(folder, exist_ok=True)
  body_path, _ = model_writer.write(net, layout, folder)
  in_config = opts.get("vocab_in_config", False)
  given = full_vocab if opts.get("with_special") else list(vocab)
  tv = text_model_writer.tv_config(
      "text_vectorization", layout.style, vocabulary=given, in_config=in_config,
      idf_weights=idf if (in_config and not opts.get("with_special")) else idf_full, **kw)
  ext = ".keras" if layout.fmt.startswith("keras") else ".h5"
  text_path = os.path.join(folder, "text_model" + ext)
  if opts.get("nested") and ext == ".keras":
    text_model_writer.write_nested_keras(text_path, net, layout, tv, full_vocab, opts["nested"])
  elif opts.get("nested"):
    text_model_writer.write_nested_h5(text_path, net, layout, tv, opts["nested"])
  elif ext == ".keras":
    text_model_writer.write_text_keras(text_path, net, layout, tv, full_vocab,
                                       idf=None if in_config else idf_full,
                                       crlf=opts.get("crlf", False))
  else:
    text_model_writer.write_text_h5(text_path, net, layout, tv)
  return (name, body_path, None, inputs), text_path, bool(opts.get("nested"))


# Several inputs, some of them raw text (issue 16 item 1): (name, layout, TextVectorization
# kwargs). "text" (+ "features", 4 floats) or "text" + "text_b" (each its own
# TextVectorization); mask_zero Embedding -> LSTM per text, so rows padded at the end in the
# reference batch give each text's own-length answer.
MULTI_CASES = [
    ("tv_multi_text_features_k3_keras", "k3.8-keras", dict(output_mode="int"), "features"),
    ("tv_multi_two_texts_tf2.11_h5", "tf2.11",
     dict(output_mode="int", output_sequence_length=8), "text_b"),
]
FEATURES = [[round(math.sin(i * 1.7 + k), 4) for k in range(4)] for i in range(len(TEXTS))]


def build_multi_case(entry, work):
  name, layout_key, kw, second = entry
  layout = model_writer.LAYOUTS[layout_key]
  seed = sum(ord(c) * (i + 1) for i, c in enumerate(name)) % (2 ** 31)
  vocab_b = [w for w in WORDS if len(w) > 3]
  full = {"text_vectorization": ["", "[UNK]"] + WORDS,
          "text_vectorization_1": ["", "[UNK]"] + vocab_b}
  refs = {k: TextVectorization(v, **kw) for k, v in full.items()}
  texts_b = list(reversed(TEXTS))
  t = kw.get("output_sequence_length") or 0

  def padded(ref, texts):
    rows = [ref(x) or [0] for x in texts]
    longest = t or max(len(r) for r in rows)
    return [(r + [0] * longest)[:longest] for r in rows], longest

  ids_a, len_a = padded(refs["text_vectorization"], TEXTS)
  vocab = refs["text_vectorization"].size
  net = Net(name.replace(".", "_"), len_a, vocab, seed)
  net.dynamic_len = not t
  net.nodes[0].input_name = "text"
  e = net.add("Embedding", 0, input_dim=vocab, output_dim=6, mask_zero=True)
  a = net.add("LSTM", e, units=5, recurrent_activation="sigmoid")
  if second == "features":
    f = net.add_input((4,), "features")
    b = net.add("Dense", f, units=3, activation="tanh")
    rows = [{"text": r, "features": x} for r, x in zip(ids_a, FEATURES)]
    lines = [{"text": x, "features": f} for x, f in zip(TEXTS, FEATURES)]
  else:
    ids_b, len_b = padded(refs["text_vectorization_1"], texts_b)
    i2 = net.add_input((len_b,), "text_b")
    e2 = net.add("Embedding", i2, input_dim=refs["text_vectorization_1"].size, output_dim=4,
                 mask_zero=True)
    b = net.add("GRU", e2, units=3, recurrent_activation="sigmoid", reset_after=False)
    rows = [{"text": r, "text_b": q} for r, q in zip(ids_a, ids_b)]
    lines = [{"text": x, "text_b": y} for x, y in zip(TEXTS, texts_b)]
  m = net.add("Concatenate", [a, b], axis=-1)
  net.outputs = [(net.add("Dense", m, units=3, activation="softmax"), 0)]
  net.assign_names(layout.style)
  folder = os.path.join(work, name)
  os.makedirs(folder, exist_ok=True)
  body_path, _ = model_writer.write(net, layout, folder)
  in_config = not layout.fmt.startswith("keras")
  tvs = {"text": text_model_writer.tv_config("text_vectorization", layout.style,
                                             vocabulary=WORDS, in_config=in_config, **kw)}
  if second == "text_b":
    tvs["text_b"] = text_model_writer.tv_config("text_vectorization_1", layout.style,
                                                vocabulary=vocab_b, in_config=in_config, **kw)
  ext = ".keras" if layout.fmt.startswith("keras") else ".h5"
  text_path = os.path.join(folder, "text_model" + ext)
  text_model_writer.write_multi_text(text_path, net, layout, tvs, full)
  return (name, body_path, None, rows), text_path, lines


def build_batch_padding_case(work, mask, ragged=False):
  """No output_sequence_length (docs/text.md "Texts of different lengths"): Keras pads a
  batch to its longest text (text_vectorization.py call, lines 657-684: the ragged ids
  .to_tensor()). Returns the text model, the reference for each text alone (a batch of one,
  unpadded) and for the 12 texts as one Keras batch (padded at the end to the longest)."""
  name = "tv_int_%s_%s" % ("ragged" if ragged else "nolen", "mask" if mask else "nomask")
  name += "_tf2.11_h5" if ragged else "_k3_keras"
  layout = model_writer.LAYOUTS["tf2.11" if ragged else "k3.8-keras"]
  seed = sum(ord(c) * (i + 1) for i, c in enumerate(name)) % (2 ** 31)
  full_vocab = ["", "[UNK]"] + WORDS
  ref = TextVectorization(full_vocab, output_mode="int")
  rows = [ref(x) or [0] for x in TEXTS]
  longest = max(len(r) for r in rows)
  net = Net(name.replace(".", "_"), longest, ref.size, seed)
  body_int(longest, ref.size, mask=mask, dynamic=True)(net)
  net.assign_names(layout.style)
  net.sequential = True
  folder = os.path.join(work, name)
  os.makedirs(folder, exist_ok=True)
  body_path, _ = model_writer.write(net, layout, folder)
  tv = text_model_writer.tv_config("text_vectorization", layout.style, vocabulary=WORDS,
                                   output_mode="int", in_config=ragged, ragged=ragged)
  if ragged:  # tf.keras: ragged ids into Embedding -> LSTM (mask_zero would be refused)
    text_path = os.path.join(folder, "text_model.h5")
    text_model_writer.write_text_h5(text_path, net, layout, tv)
  else:
    text_path = os.path.join(folder, "text_model.keras")
    text_model_writer.write_text_keras(text_path, net, layout, tv, full_vocab)
  alone = [(name + "#%d" % i, body_path, None, [r]) for i, r in enumerate(rows)]
  batch = (name + "#batch", body_path, None, [r + [0] * (longest - len(r)) for r in rows])
  return name, text_path, alone, batch


def check_batch_padding(quiver, name, text_path, results, mask, ragged=False):
  """quiver gives each text its batch-of-one answer; with mask_zero that is also Keras'
  answer for the padded batch (padding masked), without it Keras' batch answer differs and
  `quiver inspect` warns. ragged=True: Keras' RNN reads each row at its own length (the
  batch-of-one answer, no warning); an empty text (a zero-length row) is refused."""
  out = []
  alone = [results["%s#%d" % (name, i)].get("outputs", [None])[0] for i in range(len(TEXTS))]
  batch = results[name + "#batch"].get("outputs")
  if any(a is None for a in alone) or batch is None:
    return [(name, False, "no reference")]
  if ragged:
    keep = [i for i, t in enumerate(TEXTS) if t]
    ok, msg = check(quiver, text_path, [alone[i] for i in keep], [TEXTS[i] for i in keep])
    out.append((name + " = Keras ragged rows", ok, msg))
    rows, err = run_quiver(quiver, text_path, ["good movie", ""])
    out.append((name + ": empty text refused", rows is None and "no tokens" in err, err[:160]))
    proc = subprocess.run([quiver, "inspect", text_path], capture_output=True, timeout=120)
    out.append((name + " inspect silent", proc.returncode == 0 and b"warning" not in proc.stderr,
                proc.stderr.decode("utf-8", "replace").strip()[:160] or "no warning"))
    return out
  ok, msg = check(quiver, text_path, alone)
  out.append((name + " = Keras batch of one", ok, msg))
  keras_gap = float(np.max(np.abs(np.asarray(alone) - np.asarray(batch))))
  if mask:
    ok2, msg2 = check(quiver, text_path, batch)
    out.append((name + " = Keras padded batch", ok2 and keras_gap <= TOL,
                "%s; Keras batch vs alone %.2e" % (msg2, keras_gap)))
  else:
    out.append((name + ": Keras padded batch differs", keras_gap > 1e-4,
                "Keras batch vs alone %.2e (documented, docs/text.md)" % keras_gap))
  proc = subprocess.run([quiver, "inspect", text_path], capture_output=True, timeout=120)
  warned = b"warning:" in proc.stderr and b"no output_sequence_length" in proc.stderr
  out.append((name + " inspect " + ("silent" if mask else "warns"),
              proc.returncode == 0 and warned != mask,
              proc.stderr.decode("utf-8", "replace").strip()[:160] or "no warning"))
  return out


def run_quiver_lines(quiver, model, lines):
  proc = subprocess.run([quiver, "predict", "--model", model],
                        input="".join(json.dumps(l) + "\n" for l in lines).encode("utf-8"),
                        capture_output=True, timeout=120)
  if proc.returncode != 0:
    return None, "exit %d: %s" % (proc.returncode, proc.stderr.decode("utf-8", "replace")[:300])
  rows = [json.loads(l) for l in proc.stdout.decode("utf-8").splitlines() if l.strip()]
  return rows, proc.stdout


def check_lines(quiver, text_path, lines, expected):
  rows, raw = run_quiver_lines(quiver, text_path, lines)
  if rows is None:
    return False, raw
  diff = max(float(np.max(np.abs(np.asarray(a) - np.asarray(e)))) for a, e in zip(rows, expected))
  if len(rows) != len(expected) or not diff <= TOL:
    return False, "%d rows, max diff %.2e" % (len(rows), diff)
  _, raw2 = run_quiver_lines(quiver, text_path, list(reversed(lines)))
  if raw2 is None or raw.splitlines() != list(reversed(raw2.splitlines())):
    return False, "max diff %.2e, but rows change when the batch order changes" % diff
  return True, "max diff %.2e" % diff


def run_quiver(quiver, model, texts):
  proc = subprocess.run([quiver, "predict", "--model", model],
                        input="".join(t + "\n" for t in texts).encode("utf-8"),
                        capture_output=True, timeout=120)
  if proc.returncode != 0:
    return None, "exit %d: %s" % (proc.returncode, proc.stderr.decode("utf-8", "replace")[:300])
  rows = [json.loads(l)["scores"] for l in proc.stdout.decode("utf-8").splitlines() if l.strip()]
  return rows, proc.stdout


def check(quiver, text_path, expected, texts=None):
  texts = TEXTS if texts is None else texts
  rows, raw = run_quiver(quiver, text_path, texts)
  if rows is None:
    return False, raw
  if len(rows) != len(expected):
    return False, "%d rows for %d texts" % (len(rows), len(expected))
  diff = max(float(np.max(np.abs(np.asarray(a) - np.asarray(e)))) for a, e in zip(rows, expected))
  if not diff <= TOL:
    return False, "max diff %.2e" % diff
  _, raw2 = run_quiver(quiver, text_path, list(reversed(texts)))
  if raw2 is None or raw.splitlines() != list(reversed(raw2.splitlines())):
    return False, "max diff %.2e, but rows change when the batch order changes" % diff
  return True, "max diff %.2e" % diff


def check_serve(quiver, work, models, expected, multi=None, multi_paths=None):
  """`quiver serve` answers raw strings for text models (TF Serving :predict, KServe BYTES,
  /v1/classify) with the same numbers as the reference."""
  import signal
  import urllib.request
  cfg = os.path.join(work, "serve.yaml")
  with open(cfg, "w") as f:
    f.write("server:\n  host: 127.0.0.1\nmodels:\n")
    for name, path in list(models.items()) + [(n, p) for n, (p, _) in (multi_paths or {}).items()]:
      f.write("  - name: %s\n    model: %s\n" % (name, path))
  proc = subprocess.Popen([quiver, "serve", "--config", cfg, "--port", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  results = []
  try:
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
      return [("serve", False, "no listening line: %r %s" % (line, proc.stderr.read()[:300]))]
    base = line[len("listening on "):]
    # The port opens before the models load (bind first): wait for readiness.
    deadline = time.time() + 120
    while time.time() < deadline:
      try:
        with urllib.request.urlopen(base + "/v2/health/ready", timeout=5) as r:
          if r.status == 200:
            break
      except (urllib.error.URLError, OSError):
        pass
      time.sleep(0.05)

    def get(url):
      try:
        with urllib.request.urlopen(url, timeout=60) as r:
          return r.status, json.loads(r.read().decode("utf-8"))
      except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode("utf-8"))

    def post(path, body):
      req = urllib.request.Request(base + path, data=json.dumps(body).encode("utf-8"),
                                   headers={"Content-Type": "application/json"})
      try:
        with urllib.request.urlopen(req, timeout=60) as r:
          return r.status, json.loads(r.read().decode("utf-8"))
      except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode("utf-8"))

    texts = [t for t in TEXTS if t.strip()]  # serve refuses blank texts (400)
    keep = [i for i, t in enumerate(TEXTS) if t.strip()]
    for name in models:
      want = [expected[name][i] for i in keep]
      st, body = post("/v1/models/%s:predict" % name, {"instances": texts})
      got = body.get("predictions") if st == 200 else None
      results.append(("serve tfserving " + name,) + _close(got, want, st, body))
      st, body = post("/v2/models/%s/infer" % name, {"inputs": [
          {"name": "text", "shape": [len(texts)], "datatype": "BYTES", "data": texts}]})
      got = None
      if st == 200:
        out = body["outputs"][0]
        got = np.asarray(out["data"]).reshape(out["shape"]).tolist()
      results.append(("serve kserve " + name,) + _close(got, want, st, body))
    for name, (lines, want) in (multi or {}).items():
      keys = list(lines[0])
      st, body = post("/v1/models/%s:predict" % name, {"instances": lines})
      got = body.get("predictions") if st == 200 else None
      results.append(("serve tfserving rows " + name,) + _close(got, want, st, body))
      cols = {k: [l[k] for l in lines] for k in keys}
      st, body = post("/v1/models/%s:predict" % name, {"inputs": cols})
      got = body.get("outputs") if st == 200 else None
      results.append(("serve tfserving columns " + name,) + _close(got, want, st, body))
      v2 = []
      for k in keys:
        if isinstance(lines[0][k], str):
          v2.append({"name": k, "shape": [len(lines)], "datatype": "BYTES", "data": cols[k]})
        else:
          v2.append({"name": k, "shape": [len(lines), 4], "datatype": "FP32", "data": cols[k]})
      st, body = post("/v2/models/%s/infer" % name, {"inputs": v2})
      got = None
      if st == 200:
        out = body["outputs"][0]
        got = np.asarray(out["data"]).reshape(out["shape"]).tolist()
      results.append(("serve kserve " + name,) + _close(got, want, st, body))
      st, body = post("/v2/models/%s/infer" % name, {"inputs": [
          dict(v, datatype="INT32") if v["datatype"] == "BYTES" else v for v in v2]})
      results.append(("serve kserve %s: ids for text refused" % name,
                      st == 400 and "BYTES" in body.get("error", ""), "status %d %s" % (st, body)))
      meta_st, meta = get(base + "/v2/models/%s" % name)
      kinds = {i["name"]: i["datatype"] for i in meta.get("inputs", [])}
      results.append(("serve kserve metadata " + name, meta_st == 200 and kinds.get("text") ==
                      "BYTES", "status %d %s" % (meta_st, kinds)))
    st, body = post("/v1/classify", {"category": list(models)[0], "sentences": texts[:2],
                                     "return_ids": True})
    results.append(("serve classify return_ids refused", st == 400, "status %d %s" % (st, body)))
  finally:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
  return results


def _close(got, want, status, body):
  if got is None:
    return False, "status %d: %s" % (status, str(body)[:200])
  diff = float(np.max(np.abs(np.asarray(got, dtype=np.float64) - np.asarray(want))))
  return diff <= TOL, "max diff %.2e" % diff


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", required=True)
  ap.add_argument("--work", required=True)
  args = ap.parse_args()
  shutil.rmtree(args.work, ignore_errors=True)
  os.makedirs(args.work)
  specs, texts, sigmoid = [], {}, set()
  for entry in CASES:
    spec, text_path, nested = build_case(entry, args.work)
    specs.append(spec)
    texts[entry[0]] = text_path
    if nested:
      sigmoid.add(entry[0])
  multi = {}
  for entry in MULTI_CASES:
    spec, text_path, lines = build_multi_case(entry, args.work)
    specs.append(spec)
    multi[entry[0]] = (text_path, lines)
  padding_cases = []
  for mask, ragged in ((True, False), (False, False), (False, True)):
    name, text_path, alone, batch = build_batch_padding_case(args.work, mask, ragged)
    specs += alone + [batch]
    padding_cases.append((name, text_path, mask, ragged))
  results = reference_predict.predict_many(specs)
  for name in sigmoid:  # the end-to-end model's Activation("sigmoid") after the body
    if "outputs" in results[name]:
      results[name]["outputs"] = (1.0 / (1.0 + np.exp(-np.asarray(results[name]["outputs"])))
                                  ).tolist()
  failed = 0
  for name, *_ in CASES:
    r = results[name]
    if "outputs" not in r:
      ok, msg = False, "no reference: %s" % r.get("error")
    else:
      ok, msg = check(args.quiver, texts[name], r["outputs"])
    failed += not ok
    print("%-34s %-5s %s  %s" % (name, r.get("engine", "?"), msg, "ok" if ok else "FAIL"))
  for name, (text_path, lines) in multi.items():
    r = results[name]
    if "outputs" not in r:
      ok, msg = False, "no reference: %s" % r.get("error")
    else:
      ok, msg = check_lines(args.quiver, text_path, lines, r["outputs"])
    failed += not ok
    print("%-34s %-5s %s  %s" % (name, r.get("engine", "?"), msg, "ok" if ok else "FAIL"))
  padding_checks = []
  for name, text_path, mask, ragged in padding_cases:
    padding_checks += check_batch_padding(args.quiver, name, text_path, results, mask, ragged)
  for name, ok, msg in padding_checks:
    failed += not ok
    print("%-34s %-5s %s  %s" % (name, "", msg, "ok" if ok else "FAIL"))
  serve_multi = {n: (lines, results[n]["outputs"]) for n, (_, lines) in multi.items()
                 if "outputs" in results[n]}
  serve_models = {n: texts[n] for n in ("tv_int_k3_keras_crlf", "tv_int_nolen_k3_keras",
                                          "tv_tfidf_k3_keras") if "outputs" in results[n]}
  checks = check_serve(args.quiver, args.work, serve_models,
                       {n: results[n]["outputs"] for n in serve_models}, serve_multi,
                       {n: multi[n] for n in serve_multi})
  for name, ok, msg in checks:
    failed += not ok
    print("%-34s %-5s %s  %s" % (name, "", msg, "ok" if ok else "FAIL"))
  total = len(CASES) + len(MULTI_CASES) + len(padding_checks) + len(checks)
  print("%d passed, %d failed" % (total - failed, failed))
  return 1 if failed else 0


if __name__ == "__main__":
  sys.exit(main())
