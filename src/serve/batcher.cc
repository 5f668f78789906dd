#include "serve/batcher.h"

#include <algorithm>

#include <exception>
#include <utility>

namespace quiver::serve {
namespace {

// Several-input requests join a batch when every input has the same shape past the batch
// dimension.
bool same_input_shapes(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::equal(a[i].shape.begin() + 1, a[i].shape.end(), b[i].shape.begin() + 1,
                    b[i].shape.end())) {
      return false;
    }
  }
  return true;
}

bool same_group(const BatchRequest& a, const BatchRequest& b) {
  return a.servable == b.servable && a.seq_len == b.seq_len &&
         same_input_shapes(a.inputs, b.inputs);
}

// Rows [first, first + rows) of every output tensor.
std::vector<Tensor> slice_rows(const std::vector<Tensor>& outputs, int64_t first, int64_t rows) {
  std::vector<Tensor> out;
  out.reserve(outputs.size());
  for (const Tensor& t : outputs) {
    const int64_t batch = t.shape.empty() ? 0 : t.shape[0];
    const int64_t per_row = batch > 0 ? static_cast<int64_t>(t.data.size()) / batch : 0;
    Tensor s;
    s.shape = t.shape;
    s.shape[0] = rows;
    s.data.assign(t.data.begin() + first * per_row, t.data.begin() + (first + rows) * per_row);
    out.push_back(std::move(s));
  }
  return out;
}

std::string what_of(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "an unknown exception";
  }
}

// request.done(result), or (when it throws) done(Internal) once more.
void deliver(const std::string& model, BatchRequest& request, Result<BatchResult> result) {
  // Cleared afterwards, so the worker's last-resort handler never answers it twice.
  std::function<void(Result<BatchResult>)> done = std::move(request.done);
  request.done = nullptr;
  std::exception_ptr failure;
  try {
    done(std::move(result));
    return;
  } catch (...) {
    failure = std::current_exception();
  }
  try {
    done(internal_error("model '" + model + "': formatting the answer failed: " +
                        what_of(failure)));
  } catch (...) {  // nothing more can be done for this request; the worker carries on
  }
}

}  // namespace

Batcher::Batcher(std::string name, BatcherOptions options, std::function<void(int64_t)> on_batch)
    : name_(std::move(name)), on_batch_(std::move(on_batch)), options_(options) {
  worker_ = std::thread([this] { run(); });
}

Batcher::~Batcher() { stop(); }

Status Batcher::submit(BatchRequest request) {
  base::MutexLock lock(mu_);
  if (stopping_) return unavailable("model '" + name_ + "' is shutting down");
  if (static_cast<int64_t>(queue_.size()) >= options_.max_queue) {
    return resource_exhausted("model '" + name_ + "': queue full (" +
                              std::to_string(options_.max_queue) + " requests waiting)");
  }
  queue_.push_back(Item{std::move(request), std::chrono::steady_clock::now()});
  cv_.notify_one();
  return Status();
}

void Batcher::set_options(BatcherOptions options) {
  base::MutexLock lock(mu_);
  options_ = options;
  cv_.notify_one();
}

void Batcher::stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  {
    base::MutexLock lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (worker_.joinable()) worker_.join();
}

int64_t Batcher::queued() const {
  base::MutexLock lock(mu_);
  return static_cast<int64_t>(queue_.size());
}

void Batcher::run() {
  base::UniqueLock lock(mu_);
  for (;;) {
    std::vector<Item> batch = take_batch(lock);
    if (batch.empty()) return;  // stopping and drained
    lock.unlock();
    try {
      execute(batch);
    } catch (...) {  // execute() delivers every error itself; this is the last resort
      const std::string why = what_of(std::current_exception());
      for (Item& it : batch) {
        if (it.request.done) deliver(name_, it.request, internal_error("model '" + name_ + "': " + why));
      }
    }
    lock.lock();
  }
}

// Waits for work, then for the batch to fill or the oldest request's delay to pass.
// Returns empty only when stopping with an empty queue.
std::vector<Batcher::Item> Batcher::take_batch(base::UniqueLock& lock) {
  cv_.wait(lock.native(), [&] {
    mu_.assert_held();  // the predicate runs with the lock held
    return !queue_.empty() || stopping_;
  });
  if (queue_.empty()) return {};
  for (;;) {
    const auto deadline =
        queue_.front().enqueued + std::chrono::microseconds(options_.max_queue_delay_us);
    int64_t rows = 0;
    for (const Item& it : queue_) {
      if (same_group(it.request, queue_.front().request)) rows += it.request.rows;
    }
    if (stopping_ || rows >= options_.max_batch_size ||
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    cv_.wait_until(lock.native(), deadline);
  }
  std::vector<Item> batch;
  int64_t rows = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    const bool fits = batch.empty() || (same_group(it->request, batch[0].request) &&
                                        rows + it->request.rows <= options_.max_batch_size);
    if (fits) {
      rows += it->request.rows;
      batch.push_back(std::move(*it));
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  return batch;
}

void Batcher::execute(std::vector<Item>& batch) {
  const auto start = std::chrono::steady_clock::now();
  const BatchRequest& first = batch[0].request;
  int64_t rows = 0;
  for (const Item& it : batch) rows += it.request.rows;
  if (on_batch_) on_batch_(rows);
  Result<std::vector<Tensor>> outputs = std::vector<Tensor>{};
  try {
    if (!first.texts.empty()) {  // a TextVectorization model: its rows are texts
      std::vector<std::string> texts;
      for (const Item& it : batch) {
        texts.insert(texts.end(), it.request.texts.begin(), it.request.texts.end());
      }
      outputs = first.servable->predictor->predict_texts(texts);
    } else if (!first.inputs.empty()) {  // a several-input model: joined input by input
      std::vector<Tensor> joined = first.inputs;
      for (size_t k = 1; k < batch.size(); ++k) {
        for (size_t i = 0; i < joined.size(); ++i) {
          const Tensor& t = batch[k].request.inputs[i];
          joined[i].data.insert(joined[i].data.end(), t.data.begin(), t.data.end());
          joined[i].strings.insert(joined[i].strings.end(), t.strings.begin(), t.strings.end());
          joined[i].shape[0] += t.shape[0];
        }
      }
      outputs = first.servable->predictor->predict_inputs(joined);
    } else if (batch.size() == 1) {
      outputs = first.servable->predictor->predict(first.ids, rows, first.seq_len);
    } else {
      std::vector<int32_t> ids;
      ids.reserve(static_cast<size_t>(rows * first.seq_len));
      for (const Item& it : batch)
        ids.insert(ids.end(), it.request.ids.begin(), it.request.ids.end());
      outputs = first.servable->predictor->predict(ids, rows, first.seq_len);
    }
  } catch (...) {
    outputs = internal_error("model '" + name_ + "': predict failed: " +
                             what_of(std::current_exception()));
  }
  int64_t offset = 0;
  for (Item& it : batch) {
    if (!outputs.ok()) {
      deliver(name_, it.request, outputs.status());
      continue;
    }
    BatchResult r;
    r.outputs =
        batch.size() == 1 ? std::move(*outputs) : slice_rows(*outputs, offset, it.request.rows);
    r.queue_seconds = std::chrono::duration<double>(start - it.enqueued).count();
    r.batch_rows = rows;
    offset += it.request.rows;
    deliver(name_, it.request, std::move(r));
  }
}

}  // namespace quiver::serve
