// Batcher: dynamic batching for one model name.
//
// Requests (each one or more padded id rows) queue here; one worker thread takes the
// oldest request and gathers more that run on the same Servable version with the same
// row length, up to max_batch_size rows or until max_queue_delay_us has passed since the
// oldest was queued, runs one predict, and hands each request exactly its own rows.
// With max_queue_delay_us 0 (the default) an idle worker starts at once, and batches form
// only from the requests that queued while the previous batch ran: a lone client pays no
// batching delay, a busy model still batches (TF Serving's batching guide starts CPU-only
// servers at batch_timeout_micros 0; Triton's dynamic batcher delays nothing unless
// max_queue_delay_microseconds is set).
// quiver::Model makes a row's result independent of its batch, so batching never
// changes a request's bytes. A request bigger than max_batch_size runs alone.
//
// Beyond max_queue waiting requests, submit() refuses at once (ResourceExhausted, 429);
// after stop() it refuses with Unavailable (503). stop() lets queued requests finish.
//
// Thread-safety: thread-safe. Completion callbacks run on the worker thread and must not
// block for long. An exception from predict or from a callback becomes an Internal error
// for the requests concerned; the worker keeps serving.
#ifndef QUIVER_SERVE_BATCHER_H_
#define QUIVER_SERVE_BATCHER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_annotations.h"
#include "quiver/status.h"
#include "quiver/tensor.h"
#include "serve/servable.h"

namespace quiver::serve {

struct BatcherOptions {
  int64_t max_batch_size = 64;
  int64_t max_queue_delay_us = 0;
  int64_t max_queue = 256;
};

struct BatchResult {
  std::vector<Tensor> outputs;  // this request's rows only, leading dim = its rows
  double queue_seconds = 0;     // time from submit to the start of its batch
  int64_t batch_rows = 0;       // rows in the batch it ran in
};

struct BatchRequest {
  std::shared_ptr<const Servable> servable;  // the version this request runs on
  std::vector<int32_t> ids;                  // rows * seq_len, row-major
  std::vector<std::string> texts;            // or: raw texts (seq_len -1; text models)
  std::vector<Tensor> inputs;                // or: one tensor per model input (seq_len -1)
  int64_t rows = 0;
  int64_t seq_len = 0;
  // Called once with the result. If it throws (a formatter's bug), it is called once more
  // with an Internal error, so the client still gets an answer; that second call's
  // exceptions are swallowed. The worker never dies of an exception.
  std::function<void(Result<BatchResult>)> done;
};

class Batcher {
 public:
  // `on_batch` (may be empty) is told the row count of every batch that runs.
  Batcher(std::string name, BatcherOptions options, std::function<void(int64_t)> on_batch);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues a request or refuses it at once (done is then not called).
  Status submit(BatchRequest request) EXCLUDES(mu_);

  // New limits for batches formed from now on.
  void set_options(BatcherOptions options) EXCLUDES(mu_);

  // Stops accepting, finishes every queued request, joins the worker. Idempotent.
  void stop() EXCLUDES(mu_);

  int64_t queued() const EXCLUDES(mu_);

 private:
  struct Item {
    BatchRequest request;
    std::chrono::steady_clock::time_point enqueued;
  };
  void run() EXCLUDES(mu_);
  std::vector<Item> take_batch(base::UniqueLock& lock) REQUIRES(mu_);
  void execute(std::vector<Item>& batch) EXCLUDES(mu_);

  const std::string name_;
  const std::function<void(int64_t)> on_batch_;
  mutable base::Mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_ GUARDED_BY(mu_);
  BatcherOptions options_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::mutex stop_mu_;      // serialises stop() callers
  std::thread worker_;
};

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_BATCHER_H_
