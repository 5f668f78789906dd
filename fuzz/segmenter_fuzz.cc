// libFuzzer target for the segmenters: arbitrary bytes as the text of a request (the first
// byte picks the mode). fuzz/CMakeLists.txt builds it; fuzz/run_fuzzers.sh runs it.
// Besides crashes and sanitizer reports it checks two invariants: ill-formed UTF-8 is an
// error in every mode, and in the jieba and jieba-nohmm modes the tokens concatenate back
// to the text (as Python jieba's do).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "quiver/segmenter.h"

namespace {

const std::vector<std::shared_ptr<const quiver::Segmenter>>& segmenters() {
  static const auto* all = [] {
    auto* v = new std::vector<std::shared_ptr<const quiver::Segmenter>>;
    quiver::SegmenterCache cache;
    for (auto mode : {"none", "jieba", "jieba-nohmm", "jieba-search", "cjk-chars"}) {
      auto s = cache.get(mode);
      if (!s.ok()) __builtin_trap();  // the fuzzer needs Debian's python3-jieba data
      v->push_back(*s);
    }
    return v;
  }();
  return *all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& all = segmenters();
  const quiver::Segmenter& segmenter = *all[data[0] % all.size()];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto tokens = segmenter.segment(text);
  auto joined = quiver::segment_for_tokenizer(segmenter, text, " ");
  if (tokens.ok() != joined.ok()) __builtin_trap();
  if (!tokens.ok()) return 0;
  if (segmenter.mode() == quiver::SegmenterMode::kJieba ||
      segmenter.mode() == quiver::SegmenterMode::kJiebaNoHmm) {
    std::string concat;
    for (const auto& t : *tokens) {
      if (t.empty()) __builtin_trap();
      concat += t;
    }
    if (concat != text) __builtin_trap();
  }
  return 0;
}
