// libFuzzer target for the restricted unpickler (src/text/pickle.cc) and the pickled
// Keras tokenizer on top of it (Tokenizer::from_pickle): any bytes must give a tokenizer or
// a clean error, never a crash, a hang or a leak (the value graph may hold cycles through
// the memo: the Document owns every value). A loaded tokenizer must re-serialise to JSON
// that loads to the same bytes, and text_to_sequence must accept anything.
// Seeds: fuzz/corpus/tokenizer_pickle/ (small pickles written by Python's pickle module).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "quiver/tokenizer.h"
#include "text/pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  quiver::text::pickle::Limits small;
  small.max_entries = 1 << 16;  // keeps each input's memory small
  (void)quiver::text::pickle::load(data, {"keras_preprocessing.text.Tokenizer"}, "fuzz", small);
  auto tok = quiver::Tokenizer::from_pickle(data);
  if (!tok.ok()) return 0;
  const std::string json = tok->to_json();
  auto again = quiver::Tokenizer::from_json(json);
  if (!again.ok() || again->to_json() != json) __builtin_trap();
  (void)tok->text_to_sequence(data.substr(0, 256));
  return 0;
}
