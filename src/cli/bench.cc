// quiver bench --model FILE [--architecture-file FILE] --batch B --seq-len T --threads N
//              [--seconds S] [--seed K] [--weights fp32|bf16|int8]
//              [--memory-policy P] [--memory-budget-mb N] [--tokens N [--min-tokens M]]
// Loads the model (timed: load_ms), then calls Model::predict on one fixed batch of seeded
// random valid ids (each in [1, vocab_size)) of shape [B, T]: a warm-up, then repeatedly until
// S seconds have passed. --tokens N keeps only the last N ids of each row and pads the rest
// with 0 in front, as Keras' pad_sequences does for short texts (with --min-tokens M, each row
// keeps a seeded random count in [M, N]). Prints exactly one JSON line:
//   {"batch":B,"seq_len":T,"threads":N,"median_ms":..,"p90_ms":..,"sentences_per_s":..,
//    "load_ms":..,"rss_mb":..}
// median_ms / p90_ms are per predict() call (one batch); sentences_per_s = B * calls / wall
// time of the timed loop; rss_mb is VmRSS from /proc/self/status after the timed loop (the
// model loaded plus one call's scratch memory). External checks call this exact form.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "quiver/model.h"

namespace quiver::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
  std::string model;
  std::string architecture;
  std::string weights = "fp32";
  MemoryArgs memory;
  int64_t batch = 1;
  int64_t seq_len = 40;
  int64_t tokens = 0;      // real ids per row (pre-padded); 0: all seq_len
  int64_t min_tokens = 0;  // > 0: rows keep a random count in [min_tokens, tokens]
  int threads = 1;
  double seconds = 3.0;
  uint32_t seed = 1;
};

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// Resident set size in MB from /proc/self/status (VmRSS), or -1 where it is unavailable.
double rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return static_cast<double>(std::strtoll(line.c_str() + 6, nullptr, 10)) / 1024.0;  // kB
    }
  }
  return -1.0;
}

// The q-quantile (0..1) of `v` by nearest rank; v is sorted in place.
double quantile(std::vector<double>& v, double q) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

Status check_args(const BenchArgs& a) {
  if (a.batch < 1 || a.seq_len < 1 || a.threads < 1 || !(a.seconds > 0)) {
    return invalid_argument("--batch, --seq-len and --threads must be >= 1 and --seconds > 0");
  }
  if (a.tokens < 0 || a.tokens > a.seq_len) {
    return invalid_argument("--tokens must be between 1 and --seq-len");
  }
  if (a.min_tokens < 0 || (a.min_tokens > 0 && (a.tokens == 0 || a.min_tokens > a.tokens))) {
    return invalid_argument("--min-tokens needs --tokens and must be between 1 and it");
  }
  return Status();
}

Status run_bench(const BenchArgs& a) {
  QUIVER_RETURN_IF_ERROR(check_args(a));
  LoadOptions load;
  load.architecture_path = a.architecture;
  QUIVER_ASSIGN_OR_RETURN(load.weights, parse_weight_mode(a.weights));
  QUIVER_ASSIGN_OR_RETURN(load.memory_policy, memory_policy_of(a.memory));
  load.memory_budget_bytes = memory_budget_of(a.memory);
  const Clock::time_point load_start = Clock::now();
  QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::load(a.model, load));
  const double load_ms = elapsed_ms(load_start);

  const int64_t vocab = model->info().vocab_size;
  if (vocab < 2) return invalid_argument(a.model + ": the model has no Embedding vocabulary");
  std::mt19937 rng(a.seed);
  std::uniform_int_distribution<int32_t> dist(1, static_cast<int32_t>(vocab - 1));
  std::vector<int32_t> ids(static_cast<size_t>(a.batch * a.seq_len));
  std::uniform_int_distribution<int64_t> count(a.min_tokens > 0 ? a.min_tokens : a.tokens,
                                               a.tokens);
  for (int64_t r = 0; r < a.batch; ++r) {
    const int64_t pads = a.tokens > 0 ? a.seq_len - count(rng) : 0;
    for (int64_t t = 0; t < a.seq_len; ++t) ids[r * a.seq_len + t] = t < pads ? 0 : dist(rng);
  }
  PredictOptions options;
  options.threads = a.threads;

  // Warm-up: at least 2 calls and about 10% of the timed duration.
  const Clock::time_point warm_start = Clock::now();
  for (int i = 0; i < 2 || elapsed_ms(warm_start) < a.seconds * 100.0; ++i) {
    auto out = model->predict(ids, a.batch, a.seq_len, options);
    if (!out.ok()) return out.status().with_context(a.model);
  }
  std::vector<double> call_ms;
  const Clock::time_point start = Clock::now();
  while (call_ms.empty() || elapsed_ms(start) < a.seconds * 1000.0) {
    const Clock::time_point t0 = Clock::now();
    auto out = model->predict(ids, a.batch, a.seq_len, options);
    call_ms.push_back(elapsed_ms(t0));
    if (!out.ok()) return out.status().with_context(a.model);
  }
  const double total_ms = elapsed_ms(start);
  const double sentences_per_s =
      static_cast<double>(a.batch) * static_cast<double>(call_ms.size()) * 1000.0 / total_ms;
  const double rss = rss_mb();
  const double median = quantile(call_ms, 0.5), p90 = quantile(call_ms, 0.9);
  std::printf(
      "{\"batch\":%lld,\"seq_len\":%lld,\"threads\":%d,\"median_ms\":%.4f,\"p90_ms\":%.4f,"
      "\"sentences_per_s\":%.1f,\"load_ms\":%.2f,\"rss_mb\":%.1f,\"memory_policy\":\"%s\","
      "\"model_bytes\":%lld}\n",
      static_cast<long long>(a.batch), static_cast<long long>(a.seq_len), a.threads, median,
      p90, sentences_per_s, load_ms, rss, memory_policy_name(model->info().memory_policy),
      static_cast<long long>(model->memory_in_use().total()));
  if (std::fflush(stdout) != 0) return io_error("stdout: write failed");
  return Status();
}

}  // namespace

void add_bench_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Time predict() on random ids; print one JSON line with latency and throughput");
  cmd->add_option("--model", args->model, "Keras model (.h5 / .keras)")->required();
  add_architecture_file_option(cmd, &args->architecture);
  cmd->add_option("--batch", args->batch, "rows per predict() call")->required();
  cmd->add_option("--seq-len", args->seq_len, "tokens per row")->required();
  cmd->add_option("--threads", args->threads, "threads per predict() call")->required();
  cmd->add_option("--seconds", args->seconds, "timed duration after the warm-up")
      ->default_val(3.0);
  cmd->add_option("--seed", args->seed, "seed of the random ids")->default_val(1);
  cmd->add_option("--tokens", args->tokens,
                  "real ids per row, pre-padded with 0 to --seq-len (default: all)");
  cmd->add_option("--min-tokens", args->min_tokens,
                  "with --tokens N: each row keeps a random count of real ids in [M, N]");
  add_weights_option(cmd, &args->weights);
  add_memory_options(cmd, &args->memory);
  cmd->callback([&ctx, args] { run_command(ctx, "bench", [&] { return run_bench(*args); }); });
}

}  // namespace quiver::cli
