// The process-wide HDF5 mutex and library set-up.
//
// Why a global: libhdf5 is a C library with process-global state. Debian 12 builds it with
// --enable-threadsafe, which serialises calls internally, but quiver must stay correct on
// a non-thread-safe build too and must not interleave two threads' use of one handle.
// So every HDF5 call in quiver happens under kHdf5Mutex. This is the one global mutable
// object quiver allows (house rule: "a process-wide mutex around a non-thread-safe C
// library"). Loads of different models therefore read their HDF5 bytes one at a time;
// everything after reading (building layers, predict) runs without it.
//
// Error printing: HDF5 prints its error stack to stderr on every failed call unless
// automatic printing is switched off. The library is initialised once (std::call_once);
// the switch-off is repeated on each lock because, in a thread-safe build, the error
// stack and its auto-print setting belong to the calling thread.
#include "keras_io/hdf5.h"

#include <hdf5.h>

#include "base/file.h"
#include "keras_io/h5_objects.h"

namespace quiver::keras_io {
namespace {

std::mutex& hdf5_mutex() {
  static std::mutex mutex;  // the single allowed process-wide mutable object (see above)
  return mutex;
}

std::once_flag& hdf5_init_flag() {
  static std::once_flag flag;
  return flag;
}

}  // namespace

Hdf5Lock::Hdf5Lock() : lock_(hdf5_mutex()) {
  std::call_once(hdf5_init_flag(), [] { H5open(); });
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

Result<std::map<std::string, std::string>> read_root_string_attributes(const std::string& path) {
  QUIVER_ASSIGN_OR_RETURN(std::string bytes, base::read_file(path));
  Hdf5Lock lock;
  Result<h5::Handle> file = h5::open_image(bytes);
  if (!file.ok()) return file.status().with_context(path);
  Result<std::map<std::string, std::string>> attrs = h5::root_string_attributes(file->get());
  if (!attrs.ok()) return attrs.status().with_context(path);
  return attrs;
}

}  // namespace quiver::keras_io
