#!/usr/bin/python3
"""quiver shard behind a real nginx, on loopback: 3 real `quiver serve` replicas, each
category on 2 of them (docs/deploy.md "N machines behind nginx").

usage: nginx_loopback_test.py --quiver BUILD/quiver --work DIR [--seconds S]

1. The suite makes its own models: six categories trained by `quiver train` on small
   generated CSVs, twice (v1 and v2: other seeds and data, so other scores); the config
   names them through the symlink models/current (-> v1), two groups and two lone models.
2. `quiver shard --replicas 3 --copies 2` writes the replica configs and nginx's config;
   each model must be on exactly 2 replicas.
3. Reference answers come from ONE `quiver serve` of the whole config (v1, and v2 from a
   copy of the config naming v2): /v1/classify per category and per group, TF Serving
   :predict and status, KServe infer and metadata, an unknown model.
4. Through nginx, every request answers exactly (status and bytes) what the single process
   answers.
5. Under load (threads sending those requests through nginx with keep-alive): kill -9 one
   replica, later restart it -> 0 failed requests (nginx retries the other copy).
6. Under load: models/current -> v2, then each replica in turn gets SIGTERM (must exit 0)
   and restarts -> 0 failed requests; every answer is byte-identical to the v1 or the v2
   reference (so no group answer mixes versions), and afterwards every answer is v2's.
Exit 0 on success, 1 on a failure, 77 (skip) without nginx and its njs module.
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

NGINX = "/usr/sbin/nginx"
NJS = "/usr/lib/nginx/modules/ngx_http_js_module.so"
WORDS = ["the", "day", "was", "quite", "very", "so", "today", "morning", "evening", "really"]
# category -> the word that makes a sentence positive for it
CATEGORIES = {"sunny": "sunny", "rainy": "rainy", "windy": "windy", "snowy": "snowy",
              "foggy": "foggy", "stormy": "stormy"}
SENTENCES = ["the day was sunny", "a rainy and windy evening", "very snowy today",
             "foggy morning really", "so stormy", "quite calm"]


def fail(msg):
  print("FAIL: " + msg, flush=True)
  sys.exit(1)


def free_ports(n):
  socks, ports = [], []
  for _ in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
    ports.append(s.getsockname()[1])
  for s in socks:
    s.close()
  return ports


def train(quiver, out_dir, category, seed):
  """Trains out_dir/<category>.h5 on a generated CSV; a different seed changes data too."""
  rng = random.Random(seed * 1000 + len(category))
  rows = ["text,label"]
  for i in range(120):
    words = [rng.choice(WORDS) for _ in range(3)]
    if i % 2 == 0:
      words.insert(rng.randrange(4), CATEGORIES[category])
      rows.append(" ".join(words) + ",yes")
    else:
      words.insert(rng.randrange(4), rng.choice([w for w in CATEGORIES.values()
                                                  if w != CATEGORIES[category]]))
      rows.append(" ".join(words) + ",no")
  csv = os.path.join(out_dir, category + ".csv")
  with open(csv, "w") as f:
    f.write("\n".join(rows) + "\n")
  cmd = [quiver, "train", "--data", csv, "--model", os.path.join(out_dir, category + ".h5"),
         "--model-type", "cnn", "--epochs", "2", "--embedding-dim", "8", "--units", "8",
         "--seed", str(seed)]
  r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
  if r.returncode != 0:
    fail("%s: %s" % (" ".join(cmd), r.stdout.decode()))


def config_text(models_dir):
  out = ["server:", "  host: 127.0.0.1", "  port: 8500", "  max_queue: 1024", "models:"]
  for c in CATEGORIES:
    out += ["  - name: %s" % c, "    model: %s/%s.h5" % (models_dir, c),
            "    labels: [no, yes]"]
  out += ["groups:",
          "  - {name: sky, members: [sunny, foggy], default: true}",
          "  - {name: storm, members: [rainy, windy, stormy]}"]
  return "\n".join(out) + "\n"


class Server:
  """One `quiver serve` process; url once it listens."""

  def __init__(self, quiver, config, log, port=None):
    args = [quiver, "serve", "--config", config] + (["--port", str(port)] if port is not None
                                                     else [])
    self.log = log
    self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(log, "ab"))
    first = self.proc.stdout.readline().decode().strip()
    if not first.startswith("listening on http://"):
      fail("%s: no listening line (%r)\n%s" % (config, first, open(log).read()))
    self.url = first.split()[-1]
    self.host, port = self.url[len("http://"):].rsplit(":", 1)
    self.port = int(port)

  def wait_ready(self, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
      try:
        if request(self.port, "GET", "/v2/health/ready")[0] == 200:
          return
      except OSError:
        pass
      if self.proc.poll() is not None:
        fail("server exited %s\n%s" % (self.proc.returncode, open(self.log).read()))
      time.sleep(0.1)
    fail("not ready after %d s\n%s" % (timeout, open(self.log).read()))

  def stop(self):
    if self.proc.poll() is None:
      self.proc.send_signal(signal.SIGTERM)
    return self.proc.wait(timeout=120)


def request(port, method, path, body=None, conn=None):
  c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
  try:
    c.request(method, path, body=None if body is None else json.dumps(body),
              headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    return r.status, r.read()
  finally:
    if conn is None:
      c.close()


def the_requests():
  """(method, path, body) of every request compared with the single process."""
  out = []
  for c in CATEGORIES:
    out.append(("POST", "/v1/classify", {"category": c, "sentences": SENTENCES}))
    out.append(("POST", "/v1/models/%s:predict" % c, {"instances": SENTENCES[:3]}))
    out.append(("POST", "/v2/models/%s/infer" % c,
                {"inputs": [{"name": "text", "datatype": "BYTES", "shape": [2],
                             "data": SENTENCES[3:5]}]}))
    out.append(("GET", "/v1/models/%s" % c, None))
    out.append(("GET", "/v2/models/%s" % c, None))
  out.append(("POST", "/v1/classify", {"sentences": SENTENCES}))  # the default group
  out.append(("POST", "/v1/classify", {"group": "storm", "sentences": SENTENCES}))
  out.append(("POST", "/v1/classify", {"group": "storm", "categories": ["stormy", "rainy"],
                                       "sentences": SENTENCES[:2], "return_ids": True}))
  out.append(("POST", "/v1/classify", {"category": "nosuch", "sentences": ["x"]}))
  out.append(("POST", "/v1/classify", {"category": "sunny", "sentences": "not a list"}))
  out.append(("GET", "/v1/models/nosuch", None))
  return out


def answers(port, reqs):
  return [request(port, m, p, b) for m, p, b in reqs]


class Load:
  """Threads sending the POST requests through nginx until stopped; every answer must be
  one of the allowed (status, body) pairs of its request."""

  def __init__(self, port, reqs, allowed, threads=6):
    self.port, self.reqs, self.allowed = port, reqs, allowed
    self.stop_flag = threading.Event()
    self.lock = threading.Lock()
    self.sent = 0
    self.failures = []
    self.seen = {}  # reference index -> count
    # Daemon threads: a failed check exits at once, without waiting for them.
    self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                    for i in range(threads)]
    for t in self.threads:
      t.start()

  def run(self, seed):
    rng = random.Random(seed)
    posts = [i for i, r in enumerate(self.reqs) if r[0] == "POST"]
    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
    while not self.stop_flag.is_set():
      i = rng.choice(posts)
      m, p, b = self.reqs[i]
      try:
        got = request(self.port, m, p, b, conn)
      except (OSError, http.client.HTTPException) as e:
        got = ("exception", repr(e).encode())
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
      with self.lock:
        self.sent += 1
        if got in self.allowed[i]:
          k = self.allowed[i].index(got)
          self.seen[k] = self.seen.get(k, 0) + 1
        elif len(self.failures) < 20:
          self.failures.append("%s %s -> %s %s" % (m, p, got[0], got[1][:300]))
        else:
          self.failures.append("...")
    conn.close()

  def finish(self):
    self.stop_flag.set()
    for t in self.threads:
      t.join()
    return self.sent, self.failures


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", required=True)
  ap.add_argument("--work", required=True)
  ap.add_argument("--seconds", type=float, default=3.0)
  a = ap.parse_args()
  if not (os.path.exists(NGINX) and os.path.exists(NJS)):
    print("SKIP: needs Debian's nginx and libnginx-mod-http-js (scripts/install-deps.sh test)")
    return 77
  quiver = os.path.abspath(a.quiver)
  work = os.path.abspath(a.work)
  shutil.rmtree(work, ignore_errors=True)
  os.makedirs(work)
  procs = []
  try:
    return run(quiver, work, a.seconds, procs)
  finally:
    # SIGTERM first: nginx's master stops its workers only when it is not SIGKILLed.
    for p in procs:
      if p.poll() is None:
        p.terminate()
    for p in procs:
      try:
        p.wait(timeout=20)
      except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def run(quiver, work, seconds, procs):
  t0 = time.time()
  for v, seed in (("v1", 1), ("v2", 7)):
    d = os.path.join(work, "models", v)
    os.makedirs(d)
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
      list(ex.map(lambda c: train(quiver, d, c, seed), CATEGORIES))
  os.symlink("v1", os.path.join(work, "models", "current"))
  for name, models in (("serve.yaml", "models/current"), ("serve-v2.yaml", "models/v2")):
    with open(os.path.join(work, name), "w") as f:
      f.write(config_text(models))
  print("models trained in %.1f s" % (time.time() - t0), flush=True)

  ports = free_ports(4)
  addresses = ",".join("127.0.0.1:%d" % p for p in ports[:3])
  r = subprocess.run([quiver, "shard", "--config", os.path.join(work, "serve.yaml"),
                      "--replicas", "3", "--copies", "2", "--out", os.path.join(work, "shard"),
                      "--addresses", addresses, "--listen", "127.0.0.1:%d" % ports[3]],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
  if r.returncode != 0:
    fail("quiver shard: %s" % r.stderr.decode())
  print(r.stdout.decode(), end="", flush=True)
  import yaml
  holders = {c: 0 for c in CATEGORIES}
  for i in range(3):
    cfg = yaml.safe_load(open(os.path.join(work, "shard", "replica-%d.yaml" % i)))
    if cfg["server"]["port"] != ports[i]:
      fail("replica-%d.yaml: port %s, expected %d" % (i, cfg["server"]["port"], ports[i]))
    for m in cfg["models"]:
      holders[m["name"]] += 1
  if any(n != 2 for n in holders.values()):
    fail("each category must be on 2 replicas: %s" % holders)

  # The single process: the references.
  reqs = the_requests()
  refs = {}
  for v, name in (("v1", "serve.yaml"), ("v2", "serve-v2.yaml")):
    s = Server(quiver, os.path.join(work, name), os.path.join(work, "single-%s.log" % v), 0)
    procs.append(s.proc)
    s.wait_ready()
    refs[v] = answers(s.port, reqs)
    if s.stop() != 0:
      fail("the single process exited non-zero on SIGTERM")
  changed = sum(1 for x, y in zip(refs["v1"], refs["v2"]) if x != y)
  if changed < 2 * len(CATEGORIES):
    fail("v2's answers must differ from v1's (only %d of %d differ)" % (changed, len(reqs)))
  for (m, p, b), (status, body) in zip(reqs, refs["v1"]):
    if m == "POST" and "nosuch" not in json.dumps(b) and "not a list" not in json.dumps(b):
      if status != 200:
        fail("reference %s %s answered %d %s" % (m, p, status, body))

  # The replicas and nginx.
  replicas = []
  for i in range(3):
    s = Server(quiver, os.path.join(work, "shard", "replica-%d.yaml" % i),
               os.path.join(work, "replica-%d.log" % i))
    procs.append(s.proc)
    replicas.append(s)
  for s in replicas:
    s.wait_ready()
  nginx_dir = os.path.join(work, "nginx")
  os.makedirs(nginx_dir)
  user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
  with open(os.path.join(nginx_dir, "main.conf"), "w") as f:
    f.write("load_module %s;\n%spid %s/nginx.pid;\nerror_log %s/error.log;\n"
            "worker_processes 2;\nevents { worker_connections 1024; }\n"
            "http {\n  access_log off;\n  include %s/shard/nginx/quiver.conf;\n}\n"
            % (NJS, user, nginx_dir, nginx_dir, work))
  nginx = subprocess.Popen([NGINX, "-p", nginx_dir, "-e", nginx_dir + "/error.log",
                            "-c", nginx_dir + "/main.conf", "-g", "daemon off;"])
  procs.append(nginx)
  port = ports[3]
  for _ in range(300):
    try:
      request(port, "GET", "/v2/health/live")
      break
    except OSError:
      if nginx.poll() is not None:
        fail("nginx exited %s\n%s" % (nginx.returncode,
                                       open(os.path.join(nginx_dir, "error.log")).read()))
      time.sleep(0.1)
  else:
    fail("nginx does not listen on %d" % port)

  # 4. Through nginx: the single process's answers, byte for byte.
  got = answers(port, reqs)
  for (m, p, b), want, have in zip(reqs, refs["v1"], got):
    if want != have:
      fail("through nginx %s %s %s:\n  single process: %s %s\n  nginx: %s %s" % (
          m, p, json.dumps(b), want[0], want[1][:400], have[0], have[1][:400]))
  print("through nginx: %d requests answer as one process does" % len(reqs), flush=True)

  # 5. kill -9 one replica under load, then restart it.
  allowed_v1 = [[r] for r in refs["v1"]]
  load = Load(port, reqs, allowed_v1)
  time.sleep(seconds)
  victim = replicas[0]
  victim.proc.send_signal(signal.SIGKILL)
  victim.proc.wait()
  time.sleep(seconds)
  replicas[0] = Server(quiver, os.path.join(work, "shard", "replica-0.yaml"),
                       os.path.join(work, "replica-0.log"))
  procs.append(replicas[0].proc)
  replicas[0].wait_ready()
  time.sleep(seconds)
  sent, failures = load.finish()
  print("kill -9 of replica 0 under load: %d requests, %d failed" % (sent, len(failures)),
        flush=True)
  if failures:
    fail("requests failed around the kill -9:\n  " + "\n  ".join(failures))
  if sent < 50:
    fail("the load sent only %d requests" % sent)

  # 6. A rolling restart onto v2's files under load.
  tmp = os.path.join(work, "models", "current.new")
  os.symlink("v2", tmp)
  os.replace(tmp, os.path.join(work, "models", "current"))
  allowed = [[x, y] for x, y in zip(refs["v1"], refs["v2"])]
  load = Load(port, reqs, allowed)
  time.sleep(seconds)
  for i in range(3):
    code = replicas[i].stop()
    if code != 0:
      fail("replica %d exited %d on SIGTERM\n%s" % (i, code, open(replicas[i].log).read()))
    replicas[i] = Server(quiver, os.path.join(work, "shard", "replica-%d.yaml" % i),
                         os.path.join(work, "replica-%d.log" % i))
    procs.append(replicas[i].proc)
    replicas[i].wait_ready()
    time.sleep(seconds)
  sent, failures = load.finish()
  print("rolling restart onto v2 under load: %d requests, %d failed; answers v1: %d, v2 "
        "(or unchanged): %d" % (sent, len(failures), load.seen.get(0, 0), load.seen.get(1, 0)),
        flush=True)
  if failures:
    fail("requests failed or mixed versions during the rolling restart:\n  " +
         "\n  ".join(failures))
  got = answers(port, reqs)
  for (m, p, b), want, have in zip(reqs, refs["v2"], got):
    if want != have:
      fail("after the rolling restart %s %s: %s %s, v2 says %s %s" % (
          m, p, have[0], have[1][:300], want[0], want[1][:300]))

  nginx.send_signal(signal.SIGQUIT)
  nginx.wait(timeout=60)
  for s in replicas:
    if s.stop() != 0:
      fail("a replica exited non-zero on SIGTERM")
  print("PASS: 3 replicas behind nginx (%.0f s)" % (time.time() - t0))
  return 0


if __name__ == "__main__":
  sys.exit(main())
