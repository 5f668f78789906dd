#!/usr/bin/python3
"""Says how many tests were skipped and why, from the JUnit files `ctest --output-junit`
wrote (scripts/test.sh), and decides whether those skips are allowed.

Usage: scripts/ctest-skips.py SHARED_DIR JUNIT.xml [JUNIT.xml ...]

A skip's reason is the message after GoogleTest's "Skipped" line (GTEST_SKIP() << ...) or a
script's "SKIP: ..." line (exit 77, CTest SKIP_RETURN_CODE). Reasons are grouped and counted.

Allowed skips:
  * a test that needs the third-party Keras models of ../shared (its reason names
    "../shared"), when SHARED_DIR does not exist: a fresh clone has no ../shared;
  * a kernel test for an instruction set this CPU lacks (its reason says "on this CPU").
With the environment variable CI set, any other skip fails (exit 1): in CI every dependency
is installed (scripts/install-deps.sh test), so a skip there means a test silently did not
run. Without CI, skips are reported and the exit status is 0.
"""
import collections
import os
import sys
import xml.etree.ElementTree as ET


def reason_of(testcase):
    """The first meaningful line of why the test skipped."""
    out = (testcase.findtext("system-out") or "").splitlines()
    for i, line in enumerate(out):
        s = line.strip()
        if s.lower().startswith("skip"):  # "SKIP: python3 missing", "skipped: x is absent"
            return s.split(":", 1)[1].strip() if ":" in s else s
        if s.endswith(": Skipped"):  # GoogleTest: "file.cc:12: Skipped" then the message
            for nxt in out[i + 1:]:
                if nxt.strip():
                    return nxt.strip() if not nxt.startswith("[  SKIPPED") else "(no reason given)"
            return "(no reason given)"
    skipped = testcase.find("skipped")
    return (skipped.get("message") if skipped is not None else None) or "(no reason given)"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    shared_dir = sys.argv[1]
    have_shared = os.path.isdir(os.path.join(shared_dir, "keras-models"))
    total, reasons = 0, collections.defaultdict(list)
    for path in sys.argv[2:]:
        if not os.path.exists(path):
            continue
        for tc in ET.parse(path).getroot().iter("testcase"):
            total += 1
            if tc.find("skipped") is not None or tc.get("status") == "notrun":
                reasons[reason_of(tc)].append(tc.get("name"))

    skipped = sum(len(v) for v in reasons.values())
    print("skipped: %d of %d tests%s" % (skipped, total, ":" if skipped else ""))
    not_allowed = 0
    for reason, names in sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if "on this CPU" in reason:
            kind = "allowed: CPU"
        elif "../shared" in reason and not have_shared:
            kind = "allowed: no ../shared"
        else:
            kind = "NOT ALLOWED in CI"
            not_allowed += len(names)
        example = names[0] + (" and %d more" % (len(names) - 1) if len(names) > 1 else "")
        print("  %4d  %s  [%s]  (%s)" % (len(names), reason, kind, example))
    if not have_shared:
        print("  (%s is absent: tests of the third-party Keras models skip; see README)"
              % shared_dir)
    if os.environ.get("CI") and not_allowed:
        print("ctest-skips: %d skipped test(s) not allowed with CI set" % not_allowed,
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
