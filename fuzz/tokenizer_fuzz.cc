// libFuzzer target for the Keras tokenizer's parsers of untrusted bytes: the first byte
// picks the target, the rest is the input.
//   0: Tokenizer::from_json; a loaded tokenizer must re-serialise to JSON that loads to
//      the same bytes, and text_to_sequence must accept anything.
//   1: text::parse_csv (RFC 4180 on libcsv).
//   2: fit_on_texts + text_to_sequence on arbitrary text with a config taken from the input
//      (ill-formed UTF-8 must be refused by fit and tolerated by text_to_sequence).
// fuzz/CMakeLists.txt builds it; fuzz/run_fuzzers.sh runs it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "quiver/tokenizer.h"
#include "text/csv.h"

namespace {

void fuzz_json(std::string_view data) {
  auto tok = quiver::Tokenizer::from_json(data);
  if (!tok.ok()) return;
  std::string json = tok->to_json();
  auto again = quiver::Tokenizer::from_json(json);
  if (!again.ok() || again->to_json() != json) __builtin_trap();
  (void)tok->text_to_sequence(data.substr(0, 256));
}

void fuzz_fit(std::string_view data) {
  if (data.size() < 3) return;
  quiver::TokenizerConfig config;
  config.lower = data[0] & 1;
  config.char_level = data[0] & 2;
  if (data[0] & 4) config.oov_token = std::string(data.substr(1, 1));
  if (data[0] & 8) config.num_words = static_cast<unsigned char>(data[1]) % 8;
  config.split = std::string(data.substr(2, 1 + (data[0] & 16 ? 1 : 0)));
  config.filters = "!\xC3\xA9 .";
  quiver::Tokenizer tok(config);
  std::string text(data.substr(3)), half = text.substr(text.size() / 2);
  quiver::Status s = tok.fit_on_texts({text, half});
  if (s.ok() != (quiver::is_valid_utf8(text) && quiver::is_valid_utf8(half) &&
                 quiver::validate_tokenizer_config(config).ok())) {
    __builtin_trap();
  }
  (void)tok.text_to_sequence(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  switch (bytes[0] % 3) {
    case 0: fuzz_json(data); break;
    case 1: (void)quiver::text::parse_csv(data, "fuzz.csv"); break;
    default: fuzz_fit(data); break;
  }
  return 0;
}
