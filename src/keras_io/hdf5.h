// Process-wide access to libhdf5, and a small helper other modules may use.
//
// libhdf5 keeps process-global state (open-object tables, the error stack, the free lists)
// and Debian's build must not be assumed safe for concurrent calls. quiver therefore makes
// every HDF5 call while holding one process-wide mutex, taken through Hdf5Lock. This mutex
// is the single piece of global mutable state quiver allows (see src/keras_io/hdf5.cc).
// Any module that calls the HDF5 C API itself (e.g. a trainer writing .h5 files) must hold
// an Hdf5Lock for the whole time it uses HDF5 handles, and close them before releasing it.
#ifndef QUIVER_KERAS_IO_HDF5_H_
#define QUIVER_KERAS_IO_HDF5_H_

#include <map>
#include <mutex>
#include <string>

#include "quiver/status.h"

namespace quiver::keras_io {

// RAII guard: locks the process-wide HDF5 mutex. On first use in the process it also
// initialises the library (H5open); on every acquisition it switches off HDF5's automatic
// error-stack printing for the calling thread (the error stack is per thread in a
// thread-safe libhdf5 build, so a one-time switch would not cover new threads).
// Not re-entrant: never create a second Hdf5Lock on a thread that already holds one.
class Hdf5Lock {
 public:
  Hdf5Lock();
  Hdf5Lock(const Hdf5Lock&) = delete;
  Hdf5Lock& operator=(const Hdf5Lock&) = delete;

 private:
  std::unique_lock<std::mutex> lock_;
};

// Reads every string-valued attribute on the root group "/" of the HDF5 file at `path`
// (fixed-length or variable-length, scalar or a one-element array; trailing NULs
// stripped). Attributes of other types or shapes are skipped. Useful for metadata such as
// keras_version, backend, or the quiver_* attributes the trainer writes.
// Errors: NotFound (no such file), Corruption (not a readable HDF5 file).
// Thread-safe (takes Hdf5Lock).
Result<std::map<std::string, std::string>> read_root_string_attributes(const std::string& path);

}  // namespace quiver::keras_io

#endif  // QUIVER_KERAS_IO_HDF5_H_
