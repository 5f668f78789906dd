// quiver_checksum: the content checksum quiver records in every .h5 it writes (issue 13).
//
// A file damaged after it was written — a flipped bit in a weight, in model_config or in a
// quiver_* attribute that still parses — would otherwise load and serve silently wrong
// numbers. quiver writes a root attribute quiver_checksum, and every reader that finds it
// recomputes it from what the file holds and refuses a mismatch as a corrupt file
// (Corruption: CLI exit code 4, a failed load in a server). Files without it (third-party
// Keras files, quiver files written before it existed) load as before.
//
// The attribute is JSON text:
//   {"algorithm": "crc32", "attributes": "<8 hex digits>",
//    "layers": {"<layer name>": "<8 hex digits>", ...}}
// "attributes": CRC-32 (base/crc32.h) of the root attributes model_config and quiver_*
//   (except quiver_checksum itself), in name order, each as its name then its value, each
//   string preceded by its length as a little-endian uint64. The tokenizer quiver writes
//   beside a model is recorded in it (quiver_tokenizer) and compared by every reader that
//   is given the side file (check_tokenizer_belongs), so it is covered too.
// "layers": one entry per layer of model_weights' layer_names: CRC-32 of its weights in
//   weight_names order, each as its name (length-prefixed), its rank and dimensions
//   (little-endian int64) and its float32 values (little-endian).
#ifndef QUIVER_KERAS_IO_QUIVER_CHECKSUM_H_
#define QUIVER_KERAS_IO_QUIVER_CHECKSUM_H_

#include <hdf5.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "quiver/status.h"

namespace quiver::keras_io {

inline constexpr const char* kChecksumAttribute = "quiver_checksum";

// The CRC of one layer's weights, one weight at a time.
class WeightsCrc {
 public:
  void add(std::string_view name, const std::vector<int64_t>& shape, const float* values,
           size_t count);
  uint32_t value() const { return crc_; }

 private:
  uint32_t crc_ = 0;
};

// The "attributes" CRC of a file's root string attributes (all of them; the function picks
// model_config and quiver_* other than quiver_checksum).
uint32_t attributes_crc(const std::map<std::string, std::string>& root_attributes);

// The attribute's JSON text.
std::string checksum_text(uint32_t attributes, const std::map<std::string, uint32_t>& layers);

// After quiver changed a quiver_* attribute of a file it wrote: the file's quiver_checksum
// text with "attributes" recomputed from the file's root attributes as they are now; ""
// when the file has none; Corruption when it is not one quiver writes. Requires an Hdf5Lock.
Result<std::string> recomputed_checksum(hid_t file);

// OK when the file has no quiver_checksum, or when what it holds matches it. Otherwise
// Corruption naming the part that differs (the attributes, or the layer). Reads every
// weight again (one array at a time, at most `max_bytes` each). Requires an Hdf5Lock.
Status verify_checksum(hid_t file, uint64_t max_bytes);

}  // namespace quiver::keras_io

#endif  // QUIVER_KERAS_IO_QUIVER_CHECKSUM_H_
