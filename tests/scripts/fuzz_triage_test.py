#!/usr/bin/python3
"""fuzz/triage.py, which decides whether a libFuzzer finding fails the fuzz step: a crash
inside libhdf5 (Debian 1.10.8, known bugs on crafted files) is reported but allowed; every
other finding, including libhdf5 overrunning a buffer that quiver sized, is quiver's.
The reports below are excerpts of real ones from the project's fuzz runs (paths shortened),
plus two made from them to pin the buffer-ownership rule.

usage: fuzz_triage_test.py SOURCE_DIR WORK_DIR
"""
import os
import subprocess
import sys

H5 = "(/lib/x86_64-linux-gnu/libhdf5_serial.so.103+0x%s)"
BIN = "(/w/build-fuzz/fuzz/fuzz_model_build+0x%s)"

# CI, stop 21: a compact dataset whose header claims 0 bytes; libhdf5 memcpy's from NULL.
# Frame #0 is libc's vector memcpy and #1 ASan's interceptor: neither party's.
COMPACT_NULL = """==30477==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000 (pc 0x7f71 T0)
==30477==The signal is caused by a READ memory access.
    #0 0x7f7145572a89 in __memcpy_avx_unaligned_erms string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S:273
    #1 0x55d7a55a0b17 in __interceptor_memcpy %s
    #2 0x7f71460c1fca in H5VM_memcpyvv %s
    #3 0x7f7145eb22b7  %s
    #8 0x7f7145ec7f74 in H5Dread %s
    #9 0x55d7a60262a8 in quiver::keras_io::h5::read_float_dataset(long) /w/src/keras_io/h5_objects.cc:381:14
    #15 0x55d7a5646b81 in LLVMFuzzerTestOneInput /w/fuzz/model_build_fuzz.cc:15:15
    #16 0x55d7a556cc93 in fuzzer::Fuzzer::ExecuteCallback(unsigned char const*, unsigned long) %s
""" % (BIN % "5f0b17", H5 % "2c1fca", H5 % "b22b7", H5 % "c7f74", BIN % "5bcc93")

# A bad free inside libhdf5: frames #0/#1 are ASan's Deallocate and free.
BAD_FREE = """==1==ERROR: AddressSanitizer: attempting free on address which was not malloc()-ed: 0x6020 in thread T0
    #0 0x4f5e in __asan::Allocator::Deallocate(void*) %s
    #1 0x4f6f in free %s
    #2 0x7f10 in H5MM_xfree %s
    #3 0x7f11 in H5G__link_release_table %s
    #4 0x7f12 in H5Literate %s
    #5 0x55d1 in quiver::keras_io::h5::child_names(long) /w/src/keras_io/h5_objects.cc:210:3
""" % (BIN % "1", BIN % "2", H5 % "3", H5 % "4", H5 % "5")

# libhdf5 writes past the end of a float buffer quiver allocated: quiver sized it wrong.
OVERFLOW_OF_OURS = """==2==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6040 at pc 0x55 bp 0x7f sp 0x7f
WRITE of size 16 at 0x6040 thread T0
    #0 0x55d7 in __interceptor_memcpy %s
    #1 0x7f71 in H5VM_memcpyvv %s
    #2 0x7f72 in H5Dread %s
    #3 0x55d8 in quiver::keras_io::h5::read_float_dataset(long) /w/src/keras_io/h5_objects.cc:381:14

0x6040 is located 0 bytes to the right of 4-byte region [0x603c,0x6040)
allocated by thread T0 here:
    #0 0x55d1 in operator new(unsigned long) %s
    #1 0x55d2 in std::vector<float>::vector(unsigned long) /usr/include/c++/12/bits/stl_vector.h:557:9
    #2 0x55d3 in quiver::keras_io::h5::read_float_dataset(long) /w/src/keras_io/h5_objects.cc:374:3
""" % (BIN % "1", H5 % "2", H5 % "3", BIN % "4")

# The same overflow of a buffer libhdf5 allocated itself: libhdf5's.
OVERFLOW_OF_THEIRS = OVERFLOW_OF_OURS.split("allocated by")[0] + """allocated by thread T0 here:
    #0 0x55d1 in malloc %s
    #1 0x7f73 in H5MM_malloc %s
    #2 0x7f74 in H5D__compact_construct %s
""" % (BIN % "1", H5 % "6", H5 % "7")

# A crash in quiver's own code that libhdf5 called back into (H5Literate's callback).
QUIVER_UNDER_HDF5 = """==3==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000008 (pc 0x55 T0)
    #0 0x55e0 in quiver::keras_io::h5::(anonymous namespace)::collect(long, char const*) /w/src/keras_io/h5_objects.cc:190:7
    #1 0x7f20 in H5G__iterate_cb %s
    #2 0x7f21 in H5Literate %s
    #3 0x55e1 in quiver::keras_io::h5::child_names(long) /w/src/keras_io/h5_objects.cc:210:3
""" % (H5 % "8", H5 % "9")

UBSAN_OURS = """/w/src/nn/tensor.cc:88:17: runtime error: signed integer overflow: 9223372036854775807 + 1 cannot be represented in type 'long'
    #0 0x55f0 in quiver::nn::Tensor::Tensor(long) /w/src/nn/tensor.cc:88:17
    #1 0x55f1 in LLVMFuzzerTestOneInput /w/fuzz/model_build_fuzz.cc:15:15
"""

OOM = """==4== ERROR: libFuzzer: out-of-memory (malloc(3489660928))
    #0 0x55a0 in __sanitizer_print_stack_trace %s
    #1 0x55a1 in fuzzer::PrintStackTrace() %s
    #5 0x55a5 in malloc %s
    #6 0x7f30 in %s %s
    #7 0x7f31 in H5Dread %s
"""
OOM_HDF5 = OOM % (BIN % "1", BIN % "2", BIN % "3", "H5FL_blk_malloc", H5 % "a", H5 % "b")
OOM_OURS = OOM % (BIN % "1", BIN % "2", BIN % "3", "quiver::nn::Tensor::Tensor(long)",
                  "/w/src/nn/tensor.cc:90:3", H5 % "b")

CASES = [
    ("compact dataset read from NULL under libc memcpy", COMPACT_NULL, "libhdf5"),
    ("bad free under ASan's allocator frames", BAD_FREE, "libhdf5"),
    ("libhdf5 overruns a buffer quiver allocated", OVERFLOW_OF_OURS, "quiver"),
    ("libhdf5 overruns its own buffer", OVERFLOW_OF_THEIRS, "libhdf5"),
    ("quiver's callback crashes under libhdf5 frames", QUIVER_UNDER_HDF5, "quiver"),
    ("UBSan report in quiver", UBSAN_OURS, "quiver"),
    ("out-of-memory of libhdf5's malloc", OOM_HDF5, "libhdf5"),
    ("out-of-memory of quiver's malloc", OOM_OURS, "quiver"),
    ("a log with no report", "INFO: Seed: 1\nDone 10 runs in 1 second(s)\n", "quiver"),
]


def main():
  src, work = sys.argv[1], sys.argv[2]
  os.makedirs(work, exist_ok=True)
  failures = 0
  for i, (what, log, want) in enumerate(CASES):
    path = os.path.join(work, "case%d.log" % i)
    with open(path, "w") as f:
      f.write("INFO: Running with entropic power schedule (0xFF, 100).\n" + log)
    r = subprocess.run(["/usr/bin/python3", os.path.join(src, "fuzz", "triage.py"), path],
                       capture_output=True, text=True)
    got = r.stdout.strip()
    ok = r.returncode == 0 and got == want
    failures += not ok
    print("%s: %s -> %s%s" % ("ok" if ok else "FAIL", what, got or r.stderr.strip(),
                             "" if ok else " (want %s)" % want))
  sys.exit(1 if failures else 0)


if __name__ == "__main__":
  main()
