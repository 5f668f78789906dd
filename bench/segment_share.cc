// Segmentation's share of one /v1/classify sentence's work, in process (not a test). Usage:
//   segment_share MODEL TOKENIZER_JSON SENTENCES [MODE] [MAXLEN]
// For each sentence (one a line), as a one-sentence request does: segment (MODE, default
// jieba) and join with the tokenizer's split, text_to_sequence + pad_sequence (pre, to the
// model's input length, or MAXLEN for a model without one), and Model::predict on a batch
// of 1 (1 thread). Prints the CPU time per sentence of each stage (this thread's own CPU
// clock, so other jobs on a shared machine count only through cache and frequency effects;
// best of 3 passes) and the segmenter's share of the total. The HTTP, JSON and batching
// work of the server come on top, so the share in a real request is lower still.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "quiver/model.h"
#include "quiver/segmenter.h"
#include "quiver/tokenizer.h"

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

struct StageTimes {
  double segment = 0, tokenize = 0, predict = 0;
  double total() const { return segment + tokenize + predict; }
};

template <typename T>
T check(quiver::Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "segment_share: %s: %s\n", what, r.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

StageTimes one_pass(const quiver::Model& model, const quiver::Tokenizer& tokenizer,
                    const quiver::Segmenter& segmenter, const std::vector<std::string>& lines,
                    int64_t maxlen) {
  StageTimes t;
  quiver::PredictOptions options;
  options.threads = 1;
  for (const auto& line : lines) {
    double c0 = thread_cpu_seconds();
    std::string text =
        check(quiver::segment_for_tokenizer(segmenter, line, tokenizer.config().split), "segment");
    double c1 = thread_cpu_seconds();
    std::vector<int32_t> ids = quiver::pad_sequence(tokenizer.text_to_sequence(text), maxlen,
                                                    quiver::PadMode::kPre, quiver::PadMode::kPre);
    double c2 = thread_cpu_seconds();
    auto out = check(model.predict(ids, 1, maxlen, options), "predict");
    double c3 = thread_cpu_seconds();
    t.segment += c1 - c0;
    t.tokenize += c2 - c1;
    t.predict += c3 - c2;
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: segment_share MODEL TOKENIZER_JSON SENTENCES [MODE] [MAXLEN]\n");
    return 2;
  }
  const std::string mode = argc > 4 ? argv[4] : "jieba";
  auto model = check(quiver::Model::load(argv[1]), argv[1]);
  std::ifstream tin(argv[2]);
  std::stringstream json;
  json << tin.rdbuf();
  auto tokenizer = check(quiver::Tokenizer::from_json(json.str()), argv[2]);
  auto segmenter = check(quiver::Segmenter::create(mode), "segmenter");
  int64_t maxlen = model->info().input_length;
  if (argc > 5) maxlen = std::stoll(argv[5]);
  if (maxlen < 1) {
    std::fprintf(stderr, "segment_share: the model has no fixed input length; give MAXLEN\n");
    return 2;
  }
  std::ifstream in(argv[3]);
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    bytes += line.size();
    lines.push_back(std::move(line));
  }
  if (lines.empty()) return 2;
  StageTimes best;
  for (int pass = 0; pass < 3; ++pass) {
    StageTimes t = one_pass(*model, tokenizer, *segmenter, lines, maxlen);
    if (pass == 0 || t.total() < best.total()) best = t;
  }
  const double n = static_cast<double>(lines.size());
  std::printf("%s: %zu sentences (%.0f bytes avg), maxlen %lld, %s\n", argv[1], lines.size(),
              bytes / n, static_cast<long long>(maxlen), mode.c_str());
  std::printf(
      "  per sentence (us cpu): segment %.1f  tokenize+pad %.1f  predict %.1f  "
      "total %.1f  -> segmentation %.1f%% of the total\n",
      1e6 * best.segment / n, 1e6 * best.tokenize / n, 1e6 * best.predict / n,
      1e6 * best.total() / n, 100 * best.segment / best.total());
  return 0;
}
