// libFuzzer target: arbitrary bytes as a model file, past ModelSpec: read_model_bytes, then
// build_model (every layer factory, shape checks, token tables, padding trajectories) and,
// when it builds, one predict of a short row of zeros. Memory limit 64 MiB.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "keras_io/model_spec.h"
#include "nn/model_impl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  quiver::keras_io::ReadOptions read;
  read.max_memory_bytes = int64_t{1} << 26;
  auto spec = quiver::keras_io::read_model_bytes(
      std::string(reinterpret_cast<const char*>(data), size), "fuzz.h5", read);
  if (!spec.ok()) return 0;
  quiver::LoadOptions options;
  options.max_memory_bytes = read.max_memory_bytes;
  auto impl = quiver::nn::build_model(*spec, options);
  if (!impl.ok()) return 0;
  quiver::Model model(std::move(impl).value());
  const int64_t length = model.info().input_length > 0 ? model.info().input_length : 4;
  if (length > 4096) return 0;
  std::vector<int32_t> ids(static_cast<size_t>(length), 0);
  (void)model.predict(ids, 1, length);
  return 0;
}
