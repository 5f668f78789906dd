// Model-file validation in a separate, resource-limited process.
//
// A model file that this server has not loaded before (at start, on a reload, an admin
// load or a polled change) is first opened by a child process — `quiver validate-model`,
// the same binary — that does the complete load (HDF5 / zip, config, every weight, the
// quiver_* attributes, the tokenizer file) and one warm-up prediction under setrlimit
// limits on address space and CPU time, with a wall-clock timeout. Only when the child
// succeeds does the server parse the file in-process. A crash, abort, hang or memory
// blow-up in the child becomes a clean load failure naming the file and what happened
// ("killed by SIGSEGV", "exceeded the 4096 MB address-space limit", "timed out after
// 60 s"); the version already serving keeps serving. This is what makes bugs of the
// libraries below us (libhdf5 1.10.8 has a heap overflow on crafted attributes) harmless
// to the server.
//
// A file that passed is remembered by identity (device, inode, size, mtime of the model,
// architecture and tokenizer files, weight mode, maxlen), so reloading an unchanged file
// costs nothing. The files are stat'ed again after the child finished: one replaced while
// it ran is refused ("changed during validation") and checked afresh on the next load.
// Files are expected to be replaced by rename (as quiver's writers do); a file rewritten
// in place in the microseconds between that check and the in-process open is not caught.
//
// Whatever the mode, a model, architecture or tokenizer path that is not a regular file
// (a folder, a FIFO, /dev/zero, a symlink loop) is refused before anything opens it.
//
// Thread-safety: thread-safe (several loads may validate at once, each in its own child).
#ifndef QUIVER_SERVE_MODEL_SANDBOX_H_
#define QUIVER_SERVE_MODEL_SANDBOX_H_

#include <functional>
#include <string>

#include "quiver/status.h"
#include "serve/config.h"

namespace quiver::serve {

// `executable` is a quiver binary that has the validate-model subcommand ("" = no child:
// only the regular-file checks run, as with mode "off").
std::function<Status(const ModelConfig&)> model_validator(const ValidationConfig& config,
                                                          const std::string& executable);

// The child's argv (without the executable): validate-model --model F [--architecture A]
// [--tokenizer T] [--weights W] [--maxlen N]. Exposed for tests.
std::vector<std::string> validate_model_args(const ModelConfig& config);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_MODEL_SANDBOX_H_
