#!/usr/bin/python3
"""The Containerfile's runtime stage, built and run without an image registry.

usage: container_rootfs_test.py --build BUILD_DIR --root SOURCE_DIR --quiver BUILD/quiver
                                --work DIR [--cache DIR]

No registry is reachable here, so `FROM debian:12-slim` becomes a Debian 12 root made by
debootstrap (--variant=minbase, cached as a tarball in --cache, default
/var/cache/quiver-tests, with the .debs apt fetched, so only the first run on a machine
downloads much), and the stage's instructions run in it as an image build would run them:
RUN in a chroot, COPY --from=build takes the .deb CPack makes from this build tree (the
build stage's output), COPY takes files from the source tree, USER / WORKDIR / EXPOSE /
VOLUME / HEALTHCHECK / ENTRYPOINT / CMD are recorded. An instruction this runner does not
know fails the test, so the recipe and the test cannot drift apart.

Then, in new network, PID and mount namespaces (unshare; only loopback), the root runs
ENTRYPOINT + CMD as the image's USER (chroot --userspec) with a config naming a tiny model
on /models, and the test checks: the process runs as that unprivileged uid; the
HEALTHCHECK command exits 0; /v2/health/ready; one /v1/classify answer equals what the
build's `quiver predict` prints for the same model and sentence; after SIGTERM (exit 0)
the HEALTHCHECK command fails. The root holds no compiler and no -dev package.
Exit 0 pass, 1 fail, 77 skip (not root, or no debootstrap / unshare).
"""
import argparse
import glob
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HERE = os.path.dirname(os.path.abspath(__file__))


def fail(msg):
  print("FAIL: " + msg, flush=True)
  sys.exit(1)


def run(cmd, **kw):
  r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
  if r.returncode != 0:
    fail("%s: exit %d\n%s" % (" ".join(cmd), r.returncode, r.stdout.decode()[-4000:]))
  return r.stdout.decode()


def instructions(path):
  """(instruction, arguments) of every line of a Containerfile, continuations joined."""
  out, cur = [], ""
  for line in open(path):
    s = line.rstrip("\n")
    if not cur and (not s.strip() or s.lstrip().startswith("#")):
      continue
    if s.endswith("\\"):
      cur += s[:-1] + " "
      continue
    cur += s
    word, _, rest = cur.strip().partition(" ")
    out.append((word.upper(), rest.strip()))
    cur = ""
  return out


def runtime_stage(path):
  stages = []
  for ins, args in instructions(path):
    if ins == "FROM":
      stages.append([(ins, args)])
    else:
      stages[-1].append((ins, args))
  return stages[-1]


def base_root(cache, root):
  """A fresh Debian 12 minbase root at `root`, from the cached tarball (made once)."""
  tar = os.path.join(cache, "bookworm-minbase.tar")
  if not os.path.exists(tar):
    tmp = os.path.join(cache, "bookworm-minbase.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(cache, exist_ok=True)
    t0 = time.time()
    run(["debootstrap", "--variant=minbase", "bookworm", tmp, "http://deb.debian.org/debian"])
    run(["tar", "--numeric-owner", "-C", tmp, "-cf", tar + ".part", "."])
    os.replace(tar + ".part", tar)
    shutil.rmtree(tmp)
    print("debootstrap of the cached root: %.0f s" % (time.time() - t0), flush=True)
  os.makedirs(root)
  run(["tar", "--numeric-owner", "-C", root, "-xpf", tar])


def in_root(root, script, user=None, check=True, **kw):
  """Runs a shell script chrooted in `root`, with /proc mounted, in a private mount
  namespace (so nothing stays mounted on the host)."""
  spec = ["--userspec=%s" % user] if user else []
  inner = "mount -t proc proc %s/proc && exec chroot %s %s env -i PATH=%s HOME=/root " \
          "DEBIAN_FRONTEND=noninteractive /bin/sh -c %s" % (
              shlex.quote(root), " ".join(spec), shlex.quote(root), PATH, shlex.quote(script))
  cmd = ["unshare", "--mount", "--fork", "/bin/sh", "-c", inner]
  return run(cmd, **kw) if check else subprocess.run(cmd, **kw)


def build(stage, root, src, deb_dir, cache):
  """Runs the runtime stage's instructions into `root`; returns the image's settings."""
  image = {"USER": "root", "WORKDIR": "/", "EXPOSE": [], "VOLUME": [], "HEALTHCHECK": None,
           "ENTRYPOINT": [], "CMD": []}
  archives = os.path.join(root, "var/cache/apt/archives")
  for deb in glob.glob(os.path.join(cache, "archives", "*.deb")):
    shutil.copy(deb, archives)
  shutil.copy("/etc/resolv.conf", os.path.join(root, "etc/resolv.conf"))
  for ins, args in stage:
    if ins == "FROM":
      if args.split()[0] not in ("debian:12", "debian:12-slim", "debian:bookworm",
                                 "debian:bookworm-slim"):
        fail("the runtime stage is FROM %s; this test builds Debian 12 roots only" % args)
    elif ins == "RUN":
      in_root(root, args)
    elif ins == "COPY":
      words = args.split()
      if words[0] == "--from=build":  # the build stage's /out: the .deb of this build tree
        dst = os.path.join(root, words[2].lstrip("/"))
        os.makedirs(dst, exist_ok=True)
        for deb in glob.glob(os.path.join(deb_dir, "quiver_*.deb")):
          shutil.copy(deb, dst)
      elif words[0].startswith("--"):
        fail("COPY %s: unknown flag for this runner" % args)
      else:
        dst = os.path.join(root, words[-1].lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        for s in words[:-1]:
          shutil.copy(os.path.join(src, s), dst)
    elif ins in ("USER", "WORKDIR"):
      image[ins] = args
    elif ins in ("EXPOSE", "VOLUME"):
      image[ins] += args.split()
      if ins == "VOLUME":
        for v in args.split():
          os.makedirs(os.path.join(root, v.lstrip("/")), exist_ok=True)
    elif ins == "HEALTHCHECK":
      image[ins] = json.loads(args[args.index(" CMD ") + 5:].strip())
    elif ins in ("ENTRYPOINT", "CMD"):
      image[ins] = json.loads(args)
    else:
      fail("the Containerfile's runtime stage uses %s, which this runner does not know" % ins)
  os.makedirs(os.path.join(cache, "archives"), exist_ok=True)
  for deb in glob.glob(os.path.join(archives, "*.deb")):
    if not os.path.basename(deb).startswith("quiver"):
      shutil.copy(deb, os.path.join(cache, "archives"))
  return image


def inner(a):
  """In the new namespaces: start the image's command, check it, stop it."""
  root, image = a.rootfs, json.load(open(a.image))
  run(["ip", "link", "set", "lo", "up"])
  run(["mount", "-t", "proc", "proc", os.path.join(root, "proc")])
  user = image["USER"]
  uid = int(run(["chroot", root, "id", "-u", user]).strip())
  spec = "--userspec=%s:%s" % (user, user)
  cmd = " ".join(shlex.quote(w) for w in image["ENTRYPOINT"] + image["CMD"])
  out, err = os.path.join(a.work, "serve.out"), os.path.join(a.work, "serve.err")
  p = subprocess.Popen(["chroot", spec, root, "env", "-i", "PATH=" + PATH, "/bin/sh", "-c",
                        "cd %s && exec %s" % (shlex.quote(image["WORKDIR"]), cmd)],
                       stdout=open(out, "w"), stderr=open(err, "w"))

  def health(quiet=False):
    return subprocess.run(["chroot", spec, root, "env", "-i", "PATH=" + PATH] +
                          image["HEALTHCHECK"],
                          stderr=subprocess.DEVNULL if quiet else None).returncode

  try:
    url = None
    for _ in range(600):
      first = open(out).readline().strip()
      if first.startswith("listening on http://"):
        url = "http://127.0.0.1:" + first.rsplit(":", 1)[1]
        break
      if p.poll() is not None:
        fail("the image's command exited %s\n%s" % (p.returncode, open(err).read()))
      time.sleep(0.1)
    if url is None:
      fail("the image's command did not listen\n" + open(err).read())
    # The proc mounted in the root belongs to this PID namespace (the host's /proc does not).
    status = open(os.path.join(root, "proc", str(p.pid), "status")).read()
    uids = [l for l in status.splitlines() if l.startswith("Uid:")][0].split()[1:]
    if any(int(u) != uid or uid == 0 for u in uids):
      fail("the server runs as uids %s, expected %s's %d" % (uids, user, uid))
    if health() != 0:
      fail("the HEALTHCHECK command failed on a running server")
    for _ in range(600):
      try:
        if urllib.request.urlopen(url + "/v2/health/ready", timeout=10).status == 200:
          break
      except urllib.error.HTTPError:
        pass
      time.sleep(0.1)
    body = json.dumps({"category": "weather", "sentences": [a.sentence]}).encode()
    answer = json.load(urllib.request.urlopen(urllib.request.Request(
        url + "/v1/classify", data=body, method="POST"), timeout=30))
    print("answer from the image: %s" % json.dumps(answer), flush=True)
    with open(os.path.join(a.work, "answer.json"), "w") as f:
      json.dump(answer, f)
    p.send_signal(signal.SIGTERM)
    if p.wait(timeout=60) != 0:
      fail("the server exited %s on SIGTERM\n%s" % (p.returncode, open(err).read()))
    if health(quiet=True) == 0:
      fail("the HEALTHCHECK command passed with no server running")
  finally:
    if p.poll() is None:
      p.kill()
  return 0


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--build")
  ap.add_argument("--root")
  ap.add_argument("--quiver")
  ap.add_argument("--work", required=True)
  ap.add_argument("--cache", default="/var/cache/quiver-tests")
  ap.add_argument("--inner", action="store_true")
  ap.add_argument("--rootfs")
  ap.add_argument("--image")
  ap.add_argument("--sentence", default="the day was sunny")
  a = ap.parse_args()
  if a.inner:
    return inner(a)
  if os.geteuid() != 0:
    print("SKIP: needs root (debootstrap, chroot, unshare): scripts/test.sh runs as root in CI")
    return 77
  for tool in ("debootstrap", "unshare", "chroot", "ip"):
    if shutil.which(tool) is None:
      print("SKIP: needs %s (scripts/install-deps.sh test)" % tool)
      return 77
  t0 = time.time()
  work = os.path.abspath(a.work)
  shutil.rmtree(work, ignore_errors=True)
  os.makedirs(work)
  debs = os.path.join(work, "debs")
  run(["cpack", "--config", os.path.join(a.build, "CPackConfig.cmake"), "-G", "DEB", "-B", debs])
  root = os.path.join(work, "rootfs")
  base_root(a.cache, root)
  image = build(runtime_stage(os.path.join(a.root, "Containerfile")), root, a.root, debs,
                a.cache)
  print("runtime root built in %.0f s: %s" % (time.time() - t0, json.dumps(image)), flush=True)

  packages = run(["chroot", root, "dpkg-query", "-W", "-f", "${Package}\\n"]).split()
  tools = [p for p in packages if p.endswith("-dev") or p in ("gcc", "g++", "cmake", "cpp",
                                                              "make", "ninja-build")]
  if tools:
    fail("the runtime root holds build packages: %s" % tools)
  if "quiver" not in packages:
    fail("the .deb is not installed in the root")
  if "8500" not in image["EXPOSE"] or not image["HEALTHCHECK"] or image["USER"] == "root":
    fail("the image needs EXPOSE 8500, a HEALTHCHECK and a non-root USER: %s" % image)
  print("%d packages in the root, none for building" % len(packages), flush=True)

  # A tiny model on the /models volume, and a config naming it over the image's.
  models = os.path.join(root, "models")
  run([os.path.join(a.root, "tests/package/tiny_model.sh"), a.quiver, models])
  run(["chown", "-R", "10001:10001", models])
  with open(os.path.join(root, "etc/quiver/serve.yaml"), "w") as f:
    f.write("server:\n  host: 0.0.0.0\n  port: 8500\nmodels:\n"
            "  - name: weather\n    model: /models/weather.h5\n")
  with open(os.path.join(work, "image.json"), "w") as f:
    json.dump(image, f)
  r = subprocess.run(["unshare", "--net", "--pid", "--mount", "--fork", "--kill-child",
                      sys.executable, os.path.abspath(__file__), "--inner", "--work", work,
                      "--rootfs", root, "--image", os.path.join(work, "image.json"),
                      "--sentence", a.sentence])
  if r.returncode != 0:
    return r.returncode
  got = json.load(open(os.path.join(work, "answer.json")))["results"][0]
  want = json.loads(run([a.quiver, "predict", "--model", os.path.join(models, "weather.h5"),
                         "--tokenizer", os.path.join(models, "weather.tokenizer.json"),
                         "--labels", ",".join(got["scores"])],
                        input=(a.sentence + "\n").encode()).splitlines()[0])
  if list(got["scores"].values()) != want["scores"] or got["label"] != want["label"]:
    fail("the image answered %s; this build's quiver predict says %s" % (got, want))
  # The root and cpack's staging tree (~0.6 GB, most of it the static library) go on
  # success; a failure keeps them for a look.
  shutil.rmtree(root, ignore_errors=True)
  shutil.rmtree(debs, ignore_errors=True)
  print("PASS: the Containerfile's runtime stage serves (%.0f s)" % (time.time() - t0))
  return 0


if __name__ == "__main__":
  sys.exit(main())
