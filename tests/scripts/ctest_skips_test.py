#!/usr/bin/python3
"""scripts/ctest-skips.py, the summary scripts/test.sh ends with: it counts skipped tests by
reason, allows only ../shared skips without ../shared and CPU-feature skips, and with CI set
fails the run on any other skip.

usage: ctest_skips_test.py SOURCE_DIR WORK_DIR
"""
import os
import subprocess
import sys

CASE = """<testcase name="%s" status="%s">%s<system-out>%s</system-out></testcase>"""


def junit(path, cases):
  with open(path, "w") as f:
    f.write('<?xml version="1.0"?><testsuite>%s</testsuite>' % "".join(
        CASE % (n, "notrun" if out is not None else "run",
                '<skipped message="x"/>' if out is not None else "", out or "")
        for n, out in cases))


def run(src, shared, files, ci):
  env = dict(os.environ)
  env.pop("CI", None)
  if ci:
    env["CI"] = "true"
  r = subprocess.run(["/usr/bin/python3", os.path.join(src, "scripts", "ctest-skips.py"), shared]
                     + files, env=env, capture_output=True, text=True)
  return r.returncode, r.stdout + r.stderr


def main():
  src, work = sys.argv[1], sys.argv[2]
  os.makedirs(os.path.join(work, "shared", "keras-models"), exist_ok=True)
  with_shared, without = os.path.join(work, "shared"), os.path.join(work, "absent")
  shared_skip = ("a.cc:9: Skipped\nneeds ../shared (third-party Keras models, not in the "
                 "repository): /x/../shared/keras-models/m is absent\n[  SKIPPED ] A.b\n")
  cpu_skip = "k.cc:3: Skipped\nno AVX-512F on this CPU\n[  SKIPPED ] K.c\n"
  other_skip = "SKIP: python3 missing\n"
  j = lambda name, cases: (junit(os.path.join(work, name), cases), os.path.join(work, name))[1]
  ok_files = [j("a.xml", [("A.b", shared_skip), ("A.c", shared_skip), ("P.q", None)]),
              j("b.xml", [("K.c", cpu_skip)])]
  bad = j("c.xml", [("G.h", other_skip), ("P.r", None)])
  failures = []

  def expect(what, got, code, *needles):
    if got[0] != code or any(n not in got[1] for n in needles):
      failures.append("%s: exit %d, output:\n%s" % (what, got[0], got[1]))

  expect("fresh clone, CI", run(src, without, ok_files, True), 0,
         "skipped: 3 of 4 tests", "2  needs ../shared", "[allowed: no ../shared]",
         "1  no AVX-512F on this CPU  [allowed: CPU]")
  expect("../shared present, CI", run(src, with_shared, ok_files, True), 1,
         "2 skipped test(s) not allowed with CI set")
  expect("../shared present, no CI", run(src, with_shared, ok_files, False), 0, "skipped: 3")
  expect("other skip, CI", run(src, without, ok_files + [bad], True), 1,
         "1  python3 missing  [NOT ALLOWED in CI]")
  expect("no skip", run(src, with_shared, [j("d.xml", [("P.s", None)])], True), 0,
         "skipped: 0 of 1 tests")
  for f in failures:
    print("FAIL " + f)
  print("PASS" if not failures else "%d failed" % len(failures))
  return 1 if failures else 0


if __name__ == "__main__":
  sys.exit(main())
