#!/usr/bin/python3
"""Whose bug is a libFuzzer finding: prints "libhdf5" or "quiver" for the log of one run.

Usage: fuzz/triage.py LOG

libhdf5 (Debian 1.10.8, not instrumented) has known crashes on crafted files that quiver
cannot fix (docs/limits.md); fuzz/run_fuzzers.sh reports them without failing the run. A
finding is libhdf5's when
  - it is an out-of-memory of one malloc that libhdf5 asked for (the frame that called
    malloc is in libhdf5: a damaged header claiming gigabytes), or
  - walking the crash stack from the top, the first frame that belongs to either party is in
    libhdf5 — frames of libc (memcpy's vector variants), of the sanitizer runtime
    (interceptors, allocator) and of libFuzzer belong to neither — and no memory that the
    report names (allocated by / freed by / previously allocated) was quiver's: a buffer that
    quiver handed to libhdf5 with the wrong size is quiver's bug.
Anything else, including a report this script cannot read, is quiver's.
"""
import re
import sys

FRAME = re.compile(r"^\s+#(\d+) ")
QUIVER = re.compile(r" in quiver::| in LLVMFuzzerTestOneInput | /(src|include|fuzz)/\S+\.(cc|h|hpp):\d+")
SECTION = re.compile(r"(allocated|freed) by thread")


def stacks(lines):
    """The report's stacks in order: lists of frame lines, each starting at #0."""
    out = []
    for line in lines:
        m = FRAME.match(line)
        if not m:
            continue
        if m.group(1) == "0" or not out:
            out.append([])
        out[-1].append(line)
    return out


def owner(frames):
    """ "libhdf5", "quiver" or None: the first frame that belongs to either."""
    for frame in frames:
        if "libhdf5" in frame:
            return "libhdf5"
        if QUIVER.search(frame):
            return "quiver"
    return None


def triage(text):
    lines = text.splitlines()
    if "libFuzzer: out-of-memory (malloc(" in text:
        frames = [l for l in lines if FRAME.match(l)]
        for i, frame in enumerate(frames[:-1]):
            if re.search(r" in (malloc|calloc|realloc) ", frame):
                return "libhdf5" if "libhdf5" in frames[i + 1] else "quiver"
        return "quiver"
    start = next((i for i, l in enumerate(lines)
                  if re.search(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|"
                               r"ERROR: libFuzzer", l)), None)
    if start is None:
        return "quiver"
    report = lines[start:]
    found = stacks(report)
    if not found or owner(found[0]) != "libhdf5":
        return "quiver"
    # The memory the report names, each in its own stack after a section header.
    named = []
    current = None
    for line in report:
        if SECTION.search(line):
            current = []
            named.append(current)
        elif current is not None and FRAME.match(line):
            current.append(line)
        elif current is not None and current:
            current = None
    if any(owner(frames) == "quiver" for frames in named):
        return "quiver"
    return "libhdf5"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        print(triage(f.read()))


if __name__ == "__main__":
    main()
