// Segmentation throughput of quiver's segmenters (not a test). Usage:
//   segment_bench CORPUS [MODE...]      (default modes: jieba jieba-nohmm jieba-search cjk-chars)
// CORPUS has one UTF-8 sentence a line. Prints, per mode, the dictionary load time and the
// best of 3 passes over all lines, single-threaded, in MB/s of UTF-8 input. Run it through
// bench/segment_bench.sh to compare with Python jieba on the same text.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "quiver/segmenter.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int bench_mode(const std::string& mode, const std::vector<std::string>& lines, size_t bytes) {
  auto t0 = std::chrono::steady_clock::now();
  auto segmenter = quiver::Segmenter::create(mode);
  if (!segmenter.ok()) {
    std::fprintf(stderr, "segment_bench: %s\n", segmenter.status().to_string().c_str());
    return 1;
  }
  double load_s = seconds_since(t0);
  double best = 1e100;
  size_t tokens = 0;
  for (int pass = 0; pass < 3; ++pass) {
    tokens = 0;
    t0 = std::chrono::steady_clock::now();
    for (const auto& line : lines) {
      auto r = (*segmenter)->segment(line);
      tokens += r.ok() ? r->size() : 0;
    }
    best = std::min(best, seconds_since(t0));
  }
  std::printf("quiver  %-13s load %6.3f s  %8.2f MB/s  (%zu tokens, %.3f s per pass)\n",
              mode.c_str(), load_s, bytes / best / 1e6, tokens, best);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: segment_bench CORPUS [MODE...]\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "segment_bench: cannot read %s\n", argv[1]);
    return 6;
  }
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    bytes += line.size();
    lines.push_back(std::move(line));
  }
  std::vector<std::string> modes(argv + 2, argv + argc);
  if (modes.empty()) modes = {"jieba", "jieba-nohmm", "jieba-search", "cjk-chars"};
  std::printf("corpus: %zu lines, %.2f MB\n", lines.size(), bytes / 1e6);
  for (const auto& mode : modes) {
    if (int rc = bench_mode(mode, lines, bytes); rc != 0) return rc;
  }
  return 0;
}
