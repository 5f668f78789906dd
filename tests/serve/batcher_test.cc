// Tests for src/serve/batcher.cc: batching never changes a request's bytes, limits hold.
#include "serve/batcher.h"

#include <gtest/gtest.h>

#include <cstring>
#include <future>
#include <random>
#include <stdexcept>

#include "fake_predictor.h"
#include "testutil.h"

namespace quiver::serve {
namespace {

using testing::FakePredictor;

std::shared_ptr<const Servable> servable_of(std::shared_ptr<const Predictor> p, int64_t version) {
  auto s = std::make_shared<Servable>();
  s->name = "m";
  s->version = version;
  s->predictor = std::move(p);
  s->seq_len = 8;
  return s;
}

// Submits and returns a future of the outputs (or the refusal).
std::future<Result<BatchResult>> submit(Batcher& b, std::shared_ptr<const Servable> s,
                                        std::vector<int32_t> ids, Status* refused = nullptr) {
  auto promise = std::make_shared<std::promise<Result<BatchResult>>>();
  auto future = promise->get_future();
  BatchRequest r;
  r.servable = s;
  r.rows = static_cast<int64_t>(ids.size()) / 8;
  r.seq_len = 8;
  r.ids = std::move(ids);
  r.done = [promise](Result<BatchResult> out) { promise->set_value(std::move(out)); };
  Status st = b.submit(std::move(r));
  if (!st.ok()) {
    if (refused) *refused = st;
    promise->set_value(st);
  }
  return future;
}

std::vector<int32_t> random_rows(std::mt19937& rng, int rows) {
  std::vector<int32_t> ids(static_cast<size_t>(rows) * 8);
  for (auto& id : ids) id = static_cast<int32_t>(rng() % 100);
  return ids;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape == b.shape &&
         std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0;
}

TEST(BatcherTest, ConcurrentRequestsAreBatchedAndBitIdenticalToRunningAlone) {
  auto predictor = std::make_shared<FakePredictor>(8, 100, 3, 0.25f);
  auto s = servable_of(predictor, 1);
  Batcher batcher("m", BatcherOptions{64, 5000, 1000}, nullptr);
  std::vector<std::vector<int32_t>> inputs;
  std::mt19937 rng(7);
  for (int i = 0; i < 80; ++i) inputs.push_back(random_rows(rng, 1 + i % 4));
  std::vector<std::future<Result<BatchResult>>> futures(inputs.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < inputs.size(); i += 8) futures[i] = submit(batcher, s, inputs[i]);
    });
  }
  for (auto& t : threads) t.join();
  int64_t largest = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto out = futures[i].get();
    ASSERT_OK(out);
    largest = std::max(largest, out->batch_rows);
    auto alone = predictor->predict(inputs[i], static_cast<int64_t>(inputs[i].size()) / 8, 8);
    ASSERT_TRUE(same_bits(out->outputs[0], (*alone)[0])) << "request " << i;
  }
  EXPECT_GT(largest, 4) << "no two requests were ever batched together";
}

// Issue 19 item 6: by default (max_queue_delay_us 0) an idle model starts a request at once,
// alone, and the requests that queue while it runs form the next batch together.
TEST(BatcherTest, ByDefaultAnIdleModelStartsAtOnceAndBatchesWhatQueuedMeanwhile) {
  EXPECT_EQ(BatcherOptions{}.max_queue_delay_us, 0);
  auto predictor = std::make_shared<FakePredictor>(8, 100, 1, 0.0f, 300);
  auto s = servable_of(predictor, 1);
  Batcher batcher("m", BatcherOptions{}, nullptr);
  std::mt19937 rng(4);
  auto first = submit(batcher, s, random_rows(rng, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the worker took it
  std::vector<std::future<Result<BatchResult>>> rest;
  for (int i = 0; i < 5; ++i) rest.push_back(submit(batcher, s, random_rows(rng, 1)));
  ASSERT_OK(first.get());
  for (auto& f : rest) ASSERT_OK(f.get());
  EXPECT_EQ(predictor->batches(), (std::vector<int64_t>{1, 5}));
}

TEST(BatcherTest, BatchesNeverExceedMaxBatchSize) {
  auto predictor = std::make_shared<FakePredictor>(8, 100, 1, 0.0f, 20);
  auto s = servable_of(predictor, 1);
  Batcher batcher("m", BatcherOptions{4, 100000, 100}, nullptr);
  std::mt19937 rng(1);
  std::vector<std::future<Result<BatchResult>>> futures;
  for (int i = 0; i < 12; ++i) futures.push_back(submit(batcher, s, random_rows(rng, 1)));
  for (auto& f : futures) ASSERT_OK(f.get());
  auto batches = predictor->batches();
  int64_t total = 0;
  for (int64_t b : batches) {
    EXPECT_LE(b, 4);
    total += b;
  }
  EXPECT_EQ(total, 12);
  EXPECT_EQ(*std::max_element(batches.begin(), batches.end()), 4);
}

TEST(BatcherTest, RequestLargerThanMaxBatchSizeRunsAlone) {
  auto predictor = std::make_shared<FakePredictor>(8, 100, 2, 0.0f);
  Batcher batcher("m", BatcherOptions{4, 0, 100}, nullptr);
  std::mt19937 rng(2);
  auto ids = random_rows(rng, 10);
  auto out = submit(batcher, servable_of(predictor, 1), ids).get();
  ASSERT_OK(out);
  EXPECT_EQ(out->batch_rows, 10);
  EXPECT_TRUE(same_bits(out->outputs[0], (*predictor->predict(ids, 10, 8))[0]));
}

TEST(BatcherTest, FullQueueRefusesAtOnce) {
  auto predictor = std::make_shared<FakePredictor>(8, 100, 1, 0.0f, 200);
  auto s = servable_of(predictor, 1);
  Batcher batcher("spam", BatcherOptions{1, 0, 2}, nullptr);
  std::mt19937 rng(3);
  auto running = submit(batcher, s, random_rows(rng, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the worker took it
  auto q1 = submit(batcher, s, random_rows(rng, 1));
  auto q2 = submit(batcher, s, random_rows(rng, 1));
  Status refused;
  const auto start = std::chrono::steady_clock::now();
  auto q3 = submit(batcher, s, random_rows(rng, 1), &refused);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_STATUS(refused, kResourceExhausted, "model 'spam': queue full (2 requests waiting)");
  for (auto* f : {&running, &q1, &q2}) ASSERT_OK(f->get());
}

TEST(BatcherTest, StopFinishesQueuedRequestsThenRefuses) {
  auto predictor = std::make_shared<FakePredictor>(8, 100, 1, 0.0f, 30);
  auto s = servable_of(predictor, 1);
  Batcher batcher("m", BatcherOptions{1, 0, 100}, nullptr);
  std::mt19937 rng(4);
  std::vector<std::future<Result<BatchResult>>> futures;
  for (int i = 0; i < 5; ++i) futures.push_back(submit(batcher, s, random_rows(rng, 1)));
  batcher.stop();
  for (auto& f : futures) ASSERT_OK(f.get());
  Status refused;
  (void)submit(batcher, s, random_rows(rng, 1), &refused);
  EXPECT_STATUS(refused, kUnavailable, "model 'm' is shutting down");
}

TEST(BatcherTest, VersionsNeverShareABatch) {
  auto old_p = std::make_shared<FakePredictor>(8, 100, 1, 0.0f, 5);
  auto new_p = std::make_shared<FakePredictor>(8, 100, 1, 1.0f, 5);
  auto v1 = servable_of(old_p, 1), v2 = servable_of(new_p, 2);
  Batcher batcher("m", BatcherOptions{64, 20000, 100}, nullptr);
  std::mt19937 rng(5);
  std::vector<std::pair<std::vector<int32_t>, bool>> inputs;
  std::vector<std::future<Result<BatchResult>>> futures;
  for (int i = 0; i < 20; ++i) {
    inputs.emplace_back(random_rows(rng, 1), i % 2 == 0);
    futures.push_back(submit(batcher, inputs.back().second ? v1 : v2, inputs.back().first));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto out = futures[i].get();
    ASSERT_OK(out);
    const auto& p = inputs[i].second ? old_p : new_p;
    EXPECT_TRUE(same_bits(out->outputs[0], (*p->predict(inputs[i].first, 1, 8))[0]));
  }
}

TEST(BatcherTest, ReportsEveryBatchSize) {
  auto predictor = std::make_shared<FakePredictor>(8, 100, 1, 0.0f);
  std::atomic<int64_t> rows{0};
  Batcher batcher("m", BatcherOptions{8, 0, 100}, [&](int64_t n) { rows += n; });
  std::mt19937 rng(6);
  ASSERT_OK(submit(batcher, servable_of(predictor, 1), random_rows(rng, 3)).get());
  EXPECT_EQ(rows.load(), 3);
}

// A predictor whose predict throws, as a bug in a model or an allocation failure would.
class ThrowingPredictor final : public Predictor {
 public:
  Result<std::vector<Tensor>> predict(std::span<const int32_t>, int64_t, int64_t,
                                      const PredictOptions& = {}) const override {
    throw std::runtime_error("boom");
  }
  const ModelInfo& info() const override { return info_; }

 private:
  ModelInfo info_;
};

TEST(BatcherTest, PredictExceptionIsAnInternalErrorAndTheWorkerSurvives) {
  Batcher batcher("m", BatcherOptions{4, 0, 100}, nullptr);
  std::mt19937 rng(3);
  auto failed = submit(batcher, servable_of(std::make_shared<ThrowingPredictor>(), 1),
                       random_rows(rng, 2)).get();
  EXPECT_STATUS(failed, kInternal, "model 'm': predict failed: boom");
  auto predictor = std::make_shared<FakePredictor>(8, 100, 2, 0.0f);
  auto ids = random_rows(rng, 3);
  auto out = submit(batcher, servable_of(predictor, 2), ids).get();
  ASSERT_OK(out);
  EXPECT_TRUE(same_bits(out->outputs[0], (*predictor->predict(ids, 3, 8))[0]));
}

TEST(BatcherTest, ThrowingCompletionIsCalledAgainWithAnInternalError) {
  Batcher batcher("m", BatcherOptions{4, 0, 100}, nullptr);
  auto predictor = std::make_shared<FakePredictor>(8, 100, 2, 0.0f);
  std::mt19937 rng(4);
  auto second = std::make_shared<std::promise<Status>>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  BatchRequest r;
  r.servable = servable_of(predictor, 1);
  r.rows = 1;
  r.seq_len = 8;
  r.ids = random_rows(rng, 1);
  r.done = [second, calls](Result<BatchResult> out) {
    if (++*calls == 1) throw std::runtime_error("formatter bug");
    second->set_value(out.status());
  };
  ASSERT_OK(batcher.submit(std::move(r)));
  EXPECT_STATUS(second->get_future().get(), kInternal,
                "model 'm': formatting the answer failed: formatter bug");
  auto ids = random_rows(rng, 2);  // and the worker still serves
  auto out = submit(batcher, servable_of(predictor, 1), ids).get();
  ASSERT_OK(out);
  EXPECT_EQ(*calls, 2);
}

}  // namespace
}  // namespace quiver::serve
