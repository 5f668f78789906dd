#!/usr/bin/python3
"""quiver serve answers what quiver predict answers (issue 14 item 1, issue 15 item 4).

usage: serve_parity.py --quiver BIN --check NAME [--shared DIR] [--work DIR]

Black-box: starts the real `quiver serve --port 0` on 127.0.0.1 and runs the real
`quiver predict`, then compares their answers bit for bit (both print %.9g, which
round-trips float32, so equal parsed numbers are equal bits) and label for label.

Checks (one CTest test each):
  shared        every model of ../shared/keras-models (a .keras zip among them), with a
                tokenizer of words w1..w{V-1} (word wK -> id K) given to both; texts made of
                random ids, and id rows (inputs.jsonl) through TF Serving :predict vs
                `predict --input-ids`; the unloadable model must fail with the same message
                in both. Skipped (exit 77, saying so) when ../shared is absent.
  golden        one model per file layout the golden harness writes (tests/golden/
                make_models.py: Keras 1.2 .. 3.8, .h5, .keras, weights + JSON/YAML), the same
                way; and a .keras archive carrying quiver metadata (labels, maxlen,
                tokenizer in metadata.json) served and predicted with no tokenizer given.
                Skipped when python3-h5py / numpy are missing.
  trained       a quiver-trained model: serve and `predict` with no --tokenizer both use the
                recorded tokenizer, labels and maxlen, and agree; a file that is not a
                Keras model fails with the same message in both.
  unknown       known_tokens in /v1/classify and in the X-Quiver-Known-Tokens header of TF
                Serving and KServe answers, quiver_unknown_inputs_total in /metrics, and
                `unknown_input: refuse` answering 422.
  race          two `quiver serve` processes start on one config whose train_if_missing
                model is missing: it is trained once (the flock), both serve it.
Exit 0 pass, 1 fail, 77 skip.
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
FAILURES = []


def fail(msg):
  FAILURES.append(msg)
  print("FAIL " + msg)


class Server:
  """One `quiver serve --config C --port 0` process."""

  def __init__(self, quiver, config, names, log):
    self.log = open(log, "w")
    self.proc = subprocess.Popen([quiver, "serve", "--config", config, "--port", "0"],
                                 stdout=subprocess.PIPE, stderr=self.log, text=True)
    line = self.proc.stdout.readline()
    m = re.match(r"listening on (http://127\.0\.0\.1:\d+)", line)
    if not m:
      self.stop()
      raise RuntimeError("quiver serve did not start: %r (log %s)" % (line, log))
    self.url = m.group(1)
    self.wait_loaded(names)

  def wait_loaded(self, names, timeout=300):
    """Until each model is AVAILABLE or has failed (TF Serving status route)."""
    deadline = time.time() + timeout
    for name in names:
      while time.time() < deadline:
        status, _, body = self.request("GET", "/v1/models/" + name)
        states = [v.get("state") for v in (body or {}).get("model_version_status", [])]
        if status == 200 and states and all(s != "LOADING" for s in states):
          break
        time.sleep(0.2)

  def request(self, method, path, obj=None):
    data = None if obj is None else json.dumps(obj).encode()
    req = urllib.request.Request(self.url + path, data=data, method=method)
    try:
      with urllib.request.urlopen(req, timeout=120) as r:
        raw = r.read().decode()
        return r.status, dict(r.headers), (json.loads(raw) if raw.startswith(("{", "[")) else raw)
    except urllib.error.HTTPError as e:
      raw = e.read().decode()
      try:
        return e.code, dict(e.headers), json.loads(raw)
      except ValueError:
        return e.code, dict(e.headers), raw

  def stop(self):
    if self.proc.poll() is None:
      self.proc.terminate()
      try:
        self.proc.wait(timeout=60)
      except subprocess.TimeoutExpired:
        self.proc.kill()
    self.log.close()


def run(args, stdin=""):
  p = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=300)
  return p.returncode, p.stdout, p.stderr


def inspect(quiver, model, arch=None):
  args = [quiver, "inspect", model, "--json"] + (["--architecture", arch] if arch else [])
  code, out, err = run(args)
  return json.loads(out) if code == 0 else None


def word_tokenizer(vocab):
  """A Keras tokenizer JSON mapping word wK to id K for 1 <= K < vocab."""
  n = max(vocab - 1, 1)
  counts = {"w%d" % k: n + 1 - k for k in range(1, n + 1)}  # word_index follows the counts
  config = {"num_words": None, "filters": "", "lower": True, "split": " ", "char_level": False,
            "oov_token": None, "document_count": 1, "word_counts": json.dumps(counts),
            "word_docs": json.dumps({w: 1 for w in counts}),
            "index_docs": json.dumps({str(k): 1 for k in range(1, n + 1)}),
            "index_word": json.dumps({str(k): "w%d" % k for k in range(1, n + 1)}),
            "word_index": json.dumps({"w%d" % k: k for k in range(1, n + 1)})}
  return json.dumps({"class_name": "Tokenizer", "config": config})


def texts_for(vocab, length, rng):
  out = ["zzqx blorf"]  # no known word: known_tokens 0
  for n in (1, 3, max(length // 2, 1), length, length + 4):
    out.append(" ".join("w%d" % rng.randrange(1, max(vocab, 2)) for _ in range(n)))
  out.append("w1 zzqx w2")
  return out


def numbers(v):
  if isinstance(v, list):
    return [x for y in v for x in numbers(y)]
  return [float("nan") if v is None else float(v)]


def same_numbers(a, b):
  a, b = numbers(a), numbers(b)
  return len(a) == len(b) and all(
      (math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b))


def cli_lines(out):
  return [json.loads(l) for l in out.splitlines() if l.strip()]


def compare_texts(quiver, server, case, texts):
  """/v1/classify vs `quiver predict` on texts: scores, label(s), known_tokens."""
  args = [quiver, "predict", "--model", case["model"]] + case.get("cli", [])
  code, out, err = run(args, "\n".join(texts) + "\n")
  if code != 0:
    return fail("%s: quiver predict exit %d: %s" % (case["name"], code, err.strip()[:300]))
  cli = cli_lines(out)
  status, headers, body = server.request("POST", "/v1/classify",
                                         {"category": case["name"], "sentences": texts})
  if status != 200:
    return fail("%s: /v1/classify %d: %s" % (case["name"], status, body))
  results = body["results"]
  if len(cli) != len(texts) or len(results) != len(texts):
    return fail("%s: %d texts, predict %d lines, serve %d results" %
                (case["name"], len(texts), len(cli), len(results)))
  for i, (c, s) in enumerate(zip(cli, results)):
    labels = list(s["scores"].keys())
    served = [s["scores"][l] for l in labels]
    if len(c["scores"]) == 1 and len(labels) == 2:  # one sigmoid unit: serve shows [1-p, p]
      served = [s["scores"][labels[1]]]
    where = "%s text %d %r" % (case["name"], i, texts[i][:40])
    if not same_numbers(c["scores"], served):
      fail("%s: predict %s, serve %s" % (where, c["scores"], s["scores"]))
    if c.get("label") != s["label"]:
      fail("%s: label %r in predict, %r in serve" % (where, c.get("label"), s["label"]))
    if c.get("labels") != s.get("labels"):
      fail("%s: labels %r in predict, %r in serve" % (where, c.get("labels"), s.get("labels")))
    if c.get("known_tokens") != s.get("known_tokens"):
      fail("%s: known_tokens %r in predict, %r in serve" %
           (where, c.get("known_tokens"), s.get("known_tokens")))
  if results[0].get("known_tokens") != 0 and texts[0] == "zzqx blorf":
    fail("%s: 'zzqx blorf' has known_tokens %r, expected 0" % (case["name"], results[0]))
  return cli


def compare_ids(quiver, server, case, rows):
  """TF Serving :predict on id rows vs `quiver predict --input-ids`."""
  args = [quiver, "predict", "--model", case["model"]] + case.get("arch_cli", []) + ["--input-ids"]
  code, out, err = run(args, "".join(json.dumps(r) + "\n" for r in rows))
  if code != 0:
    return fail("%s: predict --input-ids exit %d: %s" % (case["name"], code, err.strip()[:300]))
  cli = cli_lines(out)
  status, _, body = server.request("POST", "/v1/models/%s_ids:predict" % case["name"],
                                   {"instances": rows})
  if status != 200:
    return fail("%s_ids: :predict %d: %s" % (case["name"], status, body))
  for i, (c, s) in enumerate(zip(cli, body["predictions"])):
    if not same_numbers(c, s):
      fail("%s row %d: predict %s, serve %s" % (case["name"], i, c, s))
  if len(cli) != len(rows) or len(body["predictions"]) != len(rows):
    fail("%s: %d rows, predict %d, serve %d" % (case["name"], len(rows), len(cli),
                                                len(body["predictions"])))


def model_case(quiver, work, name, model, arch=None, rows=None):
  """Config entries and CLI options for one third-party / generated model."""
  info = inspect(quiver, model, arch)
  if info is None:
    return None
  vocab = info["vocab_size"] or 50
  tok = os.path.join(work, name + ".tokenizer.json")
  with open(tok, "w") as f:
    f.write(word_tokenizer(vocab))
  length = info["input_length"] or 20
  case = {"name": name, "model": model, "vocab": vocab, "length": length, "rows": rows,
          "arch_cli": ["--architecture", arch] if arch else []}
  entry = "  - name: %s\n    model: %s\n" % (name, model)
  if arch:
    entry += "    architecture: %s\n" % arch
  ids_entry = entry.replace("name: %s\n" % name, "name: %s_ids\n" % name)
  entry += "    tokenizer: %s\n" % tok
  case["cli"] = case["arch_cli"] + ["--tokenizer", tok]
  if info["input_length"] is None:  # any length: both are told the same maxlen
    entry += "    maxlen: %d\n" % length
    case["cli"] += ["--maxlen", str(length)]
  case["yaml"] = entry + ids_entry
  return case


def serve_and_compare(quiver, work, cases, extra_yaml=""):
  config = os.path.join(work, "serve.yaml")
  with open(config, "w") as f:
    f.write("models:\n" + "".join(c["yaml"] for c in cases) + extra_yaml)
  names = [c["name"] for c in cases]
  server = Server(quiver, config, names, os.path.join(work, "serve.log"))
  rng = random.Random(14)
  try:
    for c in cases:
      compare_texts(quiver, server, c, c.get("texts") or texts_for(c["vocab"], c["length"], rng))
      if c.get("rows"):
        compare_ids(quiver, server, c, c["rows"])
      print("ok   %s" % c["name"])
  finally:
    server.stop()
  return server


def check_shared(quiver, shared, work):
  root = os.path.join(shared, "keras-models")
  if not os.path.isdir(root):
    print("SKIP shared: %s is absent (the third-party models of ../shared)" % root)
    return SKIP
  cases, broken = [], []
  for d in sorted(os.listdir(root)):
    folder = os.path.join(root, d)
    model = next((os.path.join(folder, m) for m in ("model.h5", "model.keras")
                  if os.path.exists(os.path.join(folder, m))), None)
    if model is None:
      continue
    if os.path.exists(os.path.join(folder, "expected_error.json")):
      broken.append((d, model))
      continue
    arch = os.path.join(folder, "architecture.yml")
    arch = arch if os.path.exists(arch) else None
    with open(os.path.join(folder, "inputs.jsonl")) as f:
      rows = [json.loads(l) for l in f if l.strip()]
    case = model_case(quiver, work, re.sub(r"[^A-Za-z0-9_.-]", "_", d), model, arch, rows)
    if case is None:
      fail("%s: quiver inspect fails" % d)
      continue
    cases.append(case)
  serve_and_compare(quiver, work, cases)
  for d, model in broken:
    check_same_error(quiver, work, d, model)
  return 0


def check_same_error(quiver, work, name, model):
  """A file neither can load fails with the same message in predict and in serve."""
  name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
  code, _, err = run([quiver, "predict", "--model", model, "--input-ids"], "[1]\n")
  if code == 0:
    return fail("%s: predict loaded an unloadable file" % name)
  message = err.strip().splitlines()[-1]
  message = message.split(": ", 1)[1] if message.startswith("quiver") else message
  message = re.sub(r"^[a-z ]+: (?=/)", "", message)  # the status code name ("corruption: ")
  config = os.path.join(work, name + ".yaml")
  with open(config, "w") as f:
    f.write("models:\n  - name: %s\n    model: %s\n" % (name, model))
  server = Server(quiver, config, [name], os.path.join(work, name + ".log"))
  try:
    status, _, body = server.request("GET", "/v1/models/" + name)
    if not any(message in s for s in strings_in(body)):
      fail("%s: predict says %r; serve's status %s does not contain it" % (name, message, body))
    else:
      print("ok   %s: the same error in both (%s)" % (name, message[:80]))
  finally:
    server.stop()


def strings_in(v):
  if isinstance(v, dict):
    return [s for x in v.values() for s in strings_in(x)]
  if isinstance(v, list):
    return [s for x in v for s in strings_in(x)]
  return [v] if isinstance(v, str) else []


def with_quiver_metadata(src, dst, labels, maxlen, tokenizer):
  """Copies a .keras archive, adding quiver's metadata to metadata.json."""
  with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
      data = zin.read(item.filename)
      if item.filename == "metadata.json":
        meta = json.loads(data)
        meta["quiver"] = {"quiver_labels": json.dumps(labels), "quiver_task": "multiclass",
                          "quiver_maxlen": str(maxlen), "quiver_padding": "post",
                          "quiver_truncating": "pre", "quiver_tokenizer": tokenizer}
        data = json.dumps(meta).encode()
      zout.writestr(item, data)


def check_golden(quiver, work):
  try:
    sys.path.insert(0, os.path.join(HERE, "..", "golden"))
    import make_models  # noqa: E402 (needs numpy and h5py)
  except ImportError as e:
    print("SKIP golden: python3-h5py / numpy missing (%s)" % e)
    return SKIP
  cases, seen = [], set()
  keras_zip = None
  for entry in make_models.CASES:
    name, layout = entry[0], entry[1]
    if not name.startswith("layout_") or layout in seen:
      continue
    seen.add(layout)
    meta, spec = make_models.build_case(entry, work)
    folder = os.path.join(work, name)
    model = os.path.join(folder, meta["model"])
    arch = os.path.join(folder, meta["architecture"]) if meta["architecture"] else None
    case = model_case(quiver, work, name.replace("layout_", "g_"), model, arch, spec[3])
    if case is None:
      fail("%s: quiver inspect fails" % name)
      continue
    cases.append(case)
    if model.endswith(".keras") and keras_zip is None:
      keras_zip = case
  if keras_zip:  # a .keras that records its labels, maxlen, padding and tokenizer
    info = inspect(quiver, keras_zip["model"])
    units = info["outputs"][0][-1]
    labels = ["no", "yes"] if units == 1 else ["c%d" % i for i in range(units)]
    dst = os.path.join(work, "recorded.keras")
    with_quiver_metadata(keras_zip["model"], dst, labels, keras_zip["length"],
                         word_tokenizer(keras_zip["vocab"]))
    cases.append({"name": "recorded_keras", "model": dst, "vocab": keras_zip["vocab"],
                  "length": keras_zip["length"], "cli": [],
                  "yaml": "  - name: recorded_keras\n    model: %s\n" % dst})
  serve_and_compare(quiver, work, cases)
  if keras_zip:  # the recorded labels were used by both
    code, out, _ = run([quiver, "predict", "--model", os.path.join(work, "recorded.keras")],
                       "w1 w2\n")
    if code != 0 or cli_lines(out)[0]["label"] not in labels:
      fail("recorded.keras: predict without --tokenizer: %s" % out)
  return 0


def train_csv(path):
  rng = random.Random(7)
  good, bad = ["good", "great", "fine", "lovely"], ["bad", "awful", "poor", "sad"]
  with open(path, "w") as f:
    f.write("text,label\n")
    for i in range(80):
      words = good if i % 2 else bad
      f.write("%s,%s\n" % (" ".join(rng.choice(words) for _ in range(rng.randrange(1, 6))),
                           "pos" if i % 2 else "neg"))


def train_tiny(quiver, work, stem):
  """A small quiver-trained model WORK/STEM.h5 (labels neg, pos); None when training fails."""
  csv, model = os.path.join(work, stem + ".csv"), os.path.join(work, stem + ".h5")
  train_csv(csv)
  code, _, err = run([quiver, "train", "--data", csv, "--model", model, "--type", "gru",
                      "--epochs", "1", "--embed-dim", "8", "--units", "8", "--quiet",
                      "--seed", "3"])
  if code != 0:
    fail("quiver train: %s" % err)
    return None
  return model


def check_trained(quiver, work):
  model = train_tiny(quiver, work, "q")
  if model is None:
    return 1
  os.remove(os.path.join(work, "q.tokenizer.json"))  # only the recorded one remains
  case = {"name": "q", "model": model, "cli": [], "vocab": 10, "length": 5,
          "yaml": "  - name: q\n    model: %s\n" % model,
          "texts": ["good great", "awful", "zzqx", "fine sad poor lovely good great bad"]}
  serve_and_compare(quiver, work, [case])
  code, out, err = run([quiver, "predict", "--model", model], "good\n")
  if code != 0:
    fail("predict --model q.h5 without --tokenizer: exit %d: %s" % (code, err))
  elif cli_lines(out)[0]["label"] not in ("neg", "pos"):
    fail("predict did not use the recorded labels: %s" % out)
  not_keras = os.path.join(work, "notes.h5")
  with open(not_keras, "w") as f:
    f.write("not a model\n")
  check_same_error(quiver, work, "notes", not_keras)
  return 0


def check_unknown(quiver, work):
  model = train_tiny(quiver, work, "u")
  if model is None:
    return 1
  config = os.path.join(work, "u.yaml")
  with open(config, "w") as f:
    f.write("models:\n  - name: answers\n    model: %s\n"
            "  - name: refuses\n    model: %s\n    unknown_input: refuse\n" % (model, model))
  server = Server(quiver, config, ["answers", "refuses"], os.path.join(work, "u.log"))
  try:
    status, _, body = server.request("POST", "/v1/classify", {
        "category": "answers", "sentences": ["zzqx blorf", "good zzqx great", "!!!"]})
    known = [r.get("known_tokens") for r in body.get("results", [])] if status == 200 else body
    if known != [0, 2, 0]:
      fail("answers: known_tokens %s, expected [0, 2, 0]" % known)
    status, headers, body = server.request("POST", "/v1/models/answers:predict",
                                           {"instances": ["good", "zzqx"]})
    header = {k.lower(): v for k, v in headers.items()}.get("x-quiver-known-tokens")
    if status != 200 or header != "1,0" or set(body) != {"predictions"}:
      fail("TF Serving :predict: %d, X-Quiver-Known-Tokens %r, body %s" % (status, header, body))
    status, headers, body = server.request("POST", "/v2/models/answers/infer", {"inputs": [
        {"name": "text", "datatype": "BYTES", "shape": [2], "data": ["zzqx", "good great"]}]})
    header = {k.lower(): v for k, v in headers.items()}.get("x-quiver-known-tokens")
    if status != 200 or header != "0,2" or "outputs" not in body:
      fail("KServe infer: %d, X-Quiver-Known-Tokens %r, body %s" % (status, header, body))
    status, _, body = server.request("POST", "/v1/classify", {
        "category": "refuses", "sentences": ["good", "zzqx blorf"]})
    if status != 422 or "sentences[1]" not in body.get("error", "") or \
       "unknown_input: refuse" not in body.get("error", ""):
      fail("refuses: %d %s, expected 422 naming sentences[1]" % (status, body))
    status, _, body = server.request("POST", "/v1/classify", {
        "category": "refuses", "sentences": ["good"]})
    if status != 200:
      fail("refuses answers known texts: %d %s" % (status, body))
    _, _, metrics = server.request("GET", "/metrics")
    for name, want in (("answers", 4), ("refuses", 1)):
      line = 'quiver_unknown_inputs_total{model="%s"} %d' % (name, want)
      if line not in metrics:
        fail("/metrics lacks %r" % line)
    print("ok   unknown inputs: known_tokens, header, 422, metrics")
  finally:
    server.stop()
  code, out, _ = run([quiver, "predict", "--model", model], "zzqx\ngood\n")
  if code != 0 or [l["known_tokens"] for l in cli_lines(out)] != [0, 1]:
    fail("predict known_tokens: %s" % out)
  return 0


def check_race(quiver, work):
  csv, model = os.path.join(work, "r.csv"), os.path.join(work, "models", "r.h5")
  train_csv(csv)
  config = os.path.join(work, "r.yaml")
  with open(config, "w") as f:
    f.write("models:\n  - name: r\n    model: %s\n    train_data: %s\n    train_if_missing: true\n"
            "    training: {architecture: gru, epochs: 2, embedding_dim: 8, units: 8}\n"
            % (model, csv))
  logs = [os.path.join(work, "r%d.log" % i) for i in range(2)]
  procs = [subprocess.Popen([quiver, "serve", "--config", config, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=open(l, "w"), text=True) for l in logs]
  servers = []
  try:
    for p, log in zip(procs, logs):
      line = p.stdout.readline()
      m = re.match(r"listening on (http://127\.0\.0\.1:\d+)", line)
      if not m:
        return fail("serve did not start: %r: %s" % (line, open(log).read()[-500:]))
      s = Server.__new__(Server)
      s.proc, s.url, s.log = p, m.group(1), open(os.devnull, "w")
      s.wait_loaded(["r"])
      servers.append(s)
    trained = sum(open(l).read().count("training it from") for l in logs)
    if trained != 1:
      fail("race: the model was trained %d times by two servers (expected 1)" % trained)
    answers = [s.request("POST", "/v1/classify", {"category": "r", "sentences": ["good"]})
               for s in servers]
    if any(a[0] != 200 for a in answers) or answers[0][2]["results"] != answers[1][2]["results"]:
      fail("race: the two servers answer %s" % [a[:1] + a[2:] for a in answers])
    print("ok   race: trained once, both serve it")
  finally:
    for s in servers:
      s.stop()
    for p in procs:
      if p.poll() is None:
        p.kill()
  return 0


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", required=True)
  ap.add_argument("--check", required=True,
                  choices=["shared", "golden", "trained", "unknown", "race"])
  ap.add_argument("--shared", default=os.path.join(HERE, "../../../shared"))
  ap.add_argument("--work")
  args = ap.parse_args()
  work = args.work or tempfile.mkdtemp(prefix="quiver_parity_")
  os.makedirs(work, exist_ok=True)
  quiver = os.path.abspath(args.quiver)
  try:
    if args.check == "shared":
      code = check_shared(quiver, os.path.abspath(args.shared), work)
    elif args.check == "golden":
      code = check_golden(quiver, work)
    elif args.check == "trained":
      code = check_trained(quiver, work)
    elif args.check == "unknown":
      code = check_unknown(quiver, work)
    else:
      code = check_race(quiver, work)
  finally:
    if not args.work:
      shutil.rmtree(work, ignore_errors=True)
  if FAILURES:
    print("%d failure(s)" % len(FAILURES))
    return 1
  return code


if __name__ == "__main__":
  sys.exit(main())
