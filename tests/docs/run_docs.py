#!/usr/bin/python3
"""Runs the examples of README.md and docs/*.md that are marked runnable, against the built
quiver, so that no documented command or config can drift from what the binary does.

usage: run_docs.py --quiver BUILD/quiver --root SOURCE_DIR --work DIR [FILE.md ...]

A fenced block is runnable when its info string carries the word `runnable`:

  ```sh runnable             a shell block: run with bash -euo pipefail in the document's
                             working folder, `quiver` on PATH (the binary under test); it
                             must exit 0
  ```yaml runnable file=F    a quiver serve config: written to F (default serve.yaml) in that
                             folder, then served: `quiver serve --config F --port 0` must
                             print its "listening on" line, answer GET /v2/health/ready with
                             200 (every model loaded or trained), and exit 0 on SIGTERM

Each document gets one fresh working folder (DIR/<document>), and its runnable blocks run in
the order they appear, so a block may use what an earlier block made (a README's CLI
example trains the model its config then serves): the fixtures are the documents' own
commands. Exit status 1 when any block fails, or when README.md has no runnable block.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

FENCE = re.compile(r"^```(\S*)(.*)$")


def blocks(path):
  """(line, kind, attrs, text) for every runnable fenced block of a Markdown file."""
  out, cur = [], None
  with open(path, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
      m = FENCE.match(line.rstrip("\n"))
      if cur is None and m and m.group(1):
        words = m.group(2).split()
        cur = {"line": n, "kind": m.group(1), "runnable": "runnable" in words,
               "attrs": dict(w.split("=", 1) for w in words if "=" in w), "text": []}
      elif cur is not None and line.startswith("```"):
        if cur["runnable"]:
          out.append((cur["line"], cur["kind"], cur["attrs"], "".join(cur["text"])))
        cur = None
      elif cur is not None:
        cur["text"].append(line)
  return out


def run_sh(text, cwd, env):
  r = subprocess.run(["bash", "-euo", "pipefail", "-c", text], cwd=cwd, env=env,
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
  out = r.stdout.decode("utf-8", "replace")
  return (r.returncode == 0, out if r.returncode == 0 else
          "exit %d\n%s" % (r.returncode, out))


def serve(config, cwd, env):
  """Serves `config`; (ok, log)."""
  log_path = os.path.join(cwd, os.path.basename(config) + ".serve.log")
  with open(log_path, "w") as err:
    p = subprocess.Popen(["quiver", "serve", "--config", config, "--port", "0"], cwd=cwd,
                         env=env, stdout=subprocess.PIPE, stderr=err)
  try:
    first = p.stdout.readline().decode().strip()  # blocks until listening (or exit)
    m = re.match(r"^listening on (http://\S+)$", first)
    if not m:
      p.wait(timeout=60)
      return False, "no 'listening on' line (got %r, exit %s)\n%s" % (
          first, p.returncode, open(log_path).read())
    status = None
    for _ in range(600):  # ready once every model serves
      try:
        status = urllib.request.urlopen(m.group(1) + "/v2/health/ready", timeout=10).status
      except urllib.error.HTTPError as e:
        status = e.code
      if status == 200:
        break
      time.sleep(0.1)
    p.send_signal(signal.SIGTERM)
    code = p.wait(timeout=60)
    if status != 200 or code != 0:
      return False, "ready: %s, exit on SIGTERM: %s\n%s" % (status, code, open(log_path).read())
    return True, ""
  finally:
    if p.poll() is None:
      p.kill()
      p.wait()


def run_document(path, work, env):
  name = os.path.relpath(path, env["QUIVER_DOCS_ROOT"])
  cwd = os.path.join(work, name.replace("/", "_").replace(".md", ""))
  shutil.rmtree(cwd, ignore_errors=True)
  os.makedirs(cwd)
  found = blocks(path)
  failures = 0
  for line, kind, attrs, text in found:
    where = "%s:%d (%s)" % (name, line, kind)
    if kind in ("sh", "bash", "shell"):
      ok, log = run_sh(text, cwd, env)
    elif kind == "yaml":
      config = attrs.get("file", "serve.yaml")
      os.makedirs(os.path.dirname(os.path.join(cwd, config)) or cwd, exist_ok=True)
      with open(os.path.join(cwd, config), "w", encoding="utf-8") as f:
        f.write(text)
      ok, log = serve(config, cwd, env)
    else:
      ok, log = False, "runnable blocks are sh or yaml, not %r" % kind
    print("%s %s" % ("ok  " if ok else "FAIL", where), flush=True)
    if not ok:
      failures += 1
      print("  " + log.replace("\n", "\n  ").rstrip(), flush=True)
  return len(found), failures


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", required=True)
  ap.add_argument("--root", required=True)
  ap.add_argument("--work", required=True)
  ap.add_argument("files", nargs="*")
  a = ap.parse_args()
  root = os.path.abspath(a.root)
  files = a.files or [os.path.join(root, "README.md")] + sorted(
      os.path.join(root, "docs", f) for f in os.listdir(os.path.join(root, "docs"))
      if f.endswith(".md"))
  env = dict(os.environ)
  bin_dir = os.path.join(a.work, "bin")
  os.makedirs(bin_dir, exist_ok=True)
  link = os.path.join(bin_dir, "quiver")
  if os.path.lexists(link):
    os.remove(link)
  os.symlink(os.path.abspath(a.quiver), link)
  env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
  env["QUIVER_DOCS_ROOT"] = root
  total = failed = 0
  for path in files:
    n, f = run_document(os.path.abspath(path), os.path.abspath(a.work), env)
    total, failed = total + n, failed + f
    if os.path.basename(path) == "README.md" and n == 0:
      print("FAIL %s: no runnable block (marker lost?)" % path)
      failed += 1
  print("%d runnable blocks, %d failed" % (total, failed))
  return 1 if failed else 0


if __name__ == "__main__":
  sys.exit(main())
