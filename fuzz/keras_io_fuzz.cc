// libFuzzer target for keras_io: arbitrary bytes as a model file (HDF5 / .keras zip
// detection, HDF5 parsing, zip parsing, config JSON) and as an architecture text
// (JSON / YAML). fuzz/CMakeLists.txt builds it; fuzz/run_fuzzers.sh runs it.
// Any crash, sanitizer report or uncaught exception is a bug; error Statuses are expected.
#include <cstddef>
#include <cstdint>
#include <string>

#include "keras_io/config_parser.h"
#include "keras_io/model_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)quiver::keras_io::read_model_bytes(bytes, "fuzz.h5");
  quiver::Result<nlohmann::json> architecture = quiver::keras_io::parse_architecture_text(bytes);
  if (architecture.ok()) (void)quiver::keras_io::parse_model_config(*architecture);
  return 0;
}
