#!/usr/bin/python3
"""`quiver shard` on the command line: its files, its summary, and its errors (one stderr
line, README's exit codes: 2 usage, 3 not found, 6 I/O).

usage: shard_cli_test.py --quiver BUILD/quiver --work DIR
"""
import argparse
import os
import shutil
import subprocess
import sys

failures = []


def check(cond, what):
  if not cond:
    failures.append(what)
    print("FAIL: " + what, flush=True)


def shard(quiver, *args, cwd=None):
  r = subprocess.run([quiver, "shard"] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
  return r.returncode, r.stdout.decode(), r.stderr.decode()


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", required=True)
  ap.add_argument("--work", required=True)
  a = ap.parse_args()
  q = os.path.abspath(a.quiver)
  shutil.rmtree(a.work, ignore_errors=True)
  os.makedirs(os.path.join(a.work, "m"))
  for name, size in (("a", 3000), ("b", 2000), ("c", 1000)):
    with open(os.path.join(a.work, "m", name + ".h5"), "wb") as f:
      f.write(b"\0" * size)  # shard reads sizes only
  conf = os.path.join(a.work, "serve.yaml")
  with open(conf, "w") as f:
    f.write("server: {port: 7000}\nmodels:\n  - {name: a, model: m/a.h5}\n"
            "  - {name: b, model: m/b.h5}\n  - {name: c, model: m/c.h5}\n")

  code, out, err = shard(q, "--config", "serve.yaml", "--replicas", "2", "--copies", "1",
                         cwd=a.work)
  check(code == 0 and err == "", "shard: exit %d, stderr %r" % (code, err))
  lines = out.splitlines()
  check(lines[:2] == ["replica-0.yaml  127.0.0.1:7001  1 model, 3.0 kB: a",
                      "replica-1.yaml  127.0.0.1:7002  2 models, 3.0 kB: b, c"],
        "summary: %r" % lines)
  for f in ("replica-0.yaml", "replica-1.yaml", "nginx/quiver.conf", "nginx/quiver_classify.js"):
    check(os.path.isfile(os.path.join(a.work, "shard", f)), "shard/%s written (default --out)" % f)
  conf_text = open(os.path.join(a.work, "shard", "nginx", "quiver.conf")).read()
  check("listen 127.0.0.1:7000;" in conf_text, "nginx listens on the config's address")
  check("js_import quiver_classify from %s;" % os.path.join(os.path.abspath(a.work), "shard",
                                                            "nginx", "quiver_classify.js")
        in conf_text, "js_import names the written handler by absolute path")

  def usage(args, code_want, line):
    code, out, err = shard(q, *args, cwd=a.work)
    check(code == code_want and err.splitlines() == [line],
          "%s: exit %d (want %d), stderr %r (want %r)" % (args, code, code_want, err, line))

  usage(["--config", conf, "--replicas", "2", "--copies", "3"], 2,
        "quiver shard: invalid argument: --copies: expected 1..2 (at most --replicas), got 3")
  usage(["--config", conf, "--replicas", "2", "--copie", "1"], 2,
        "quiver shard: invalid argument: unknown option '--copie' (did you mean --copies?)")
  usage(["--config", conf], 2, "quiver shard: invalid argument: missing required option --replicas")
  usage(["--config", conf, "--replicas", "2", "--addresses", "10.0.0.1:80"], 2,
        "quiver shard: invalid argument: --addresses: expected 2 addresses (one per "
        "replica), got 1")
  usage(["--config", conf, "--replicas", "1", "--listen", "nowhere"], 2,
        "quiver shard: invalid argument: --listen: expected HOST:PORT, got 'nowhere' (no port)")
  code, _, err = shard(q, "--config", os.path.join(a.work, "missing.yaml"), "--replicas", "1")
  check(code == 3 and len(err.splitlines()) == 1 and "missing.yaml" in err,
        "a missing config: exit %d, %r" % (code, err))
  code, _, err = shard(q, "--config", conf, "--replicas", "1", "--copies", "1",
                       "--out", "/proc/quiver-shard")
  check(code == 6 and len(err.splitlines()) == 1 and "/proc/quiver-shard" in err,
        "an unwritable --out: exit %d, %r" % (code, err))
  code, out, _ = shard(q, "--help")
  check(code == 0 and "--copies" in out and "--addresses" in out, "--help: " + out)
  print("FAIL" if failures else "PASS")
  return 1 if failures else 0


if __name__ == "__main__":
  sys.exit(main())
