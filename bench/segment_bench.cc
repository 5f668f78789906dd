// Segmentation throughput of quiver's segmenters (not a test). Usage:
//   segment_bench CORPUS [MODE...]      (default modes: jieba jieba-nohmm jieba-search cjk-chars)
// CORPUS has one UTF-8 sentence a line. Prints, per mode, the dictionary load time and the
// best of 3 passes over all lines, single-threaded, in MB/s of UTF-8 input per second of
// CPU time (the process's own, so other jobs on a shared machine do not count) and of wall
// time. Run it through
// bench/segment_bench.sh to compare with Python jieba on the same text.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "quiver/segmenter.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

int bench_mode(const std::string& mode, const std::vector<std::string>& lines, size_t bytes) {
  double c0 = cpu_seconds();
  auto segmenter = quiver::Segmenter::create(mode);
  if (!segmenter.ok()) {
    std::fprintf(stderr, "segment_bench: %s\n", segmenter.status().to_string().c_str());
    return 1;
  }
  double load_cpu = cpu_seconds() - c0;
  double best_cpu = 1e100, best_wall = 1e100;
  size_t tokens = 0;
  for (int pass = 0; pass < 3; ++pass) {
    tokens = 0;
    auto t0 = std::chrono::steady_clock::now();
    c0 = cpu_seconds();
    for (const auto& line : lines) {
      auto r = (*segmenter)->segment(line);
      tokens += r.ok() ? r->size() : 0;
    }
    best_cpu = std::min(best_cpu, cpu_seconds() - c0);
    best_wall = std::min(best_wall, seconds_since(t0));
  }
  std::printf("quiver  %-13s load %6.3f s cpu  %8.2f MB/s cpu  %8.2f MB/s wall  (%zu tokens)\n",
              mode.c_str(), load_cpu, bytes / best_cpu / 1e6, bytes / best_wall / 1e6, tokens);
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
