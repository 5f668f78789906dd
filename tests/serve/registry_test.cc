// Tests for src/serve/registry.cc and servable.cc: load, swap, failed reloads, unload,
// config changes, golden checks, train-if-missing hooks.
#include "serve/registry.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "fake_predictor.h"
#include "testutil.h"

namespace quiver::serve {
namespace {

using testing::fake_loader;
using testing::FakePredictor;

class RegistryTest : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_.file(name)) << text;
  }
  ModelConfig model(const std::string& name) {
    ModelConfig m;
    m.name = name;
    m.model_path = dir_.file(name + ".model");
    return m;
  }
  ServeConfig config(std::vector<std::string> names) {
    ServeConfig c;
    for (auto& n : names) c.models.push_back(model(n));
    return c;
  }
  float score(const ModelHandle& h) {
    std::vector<int32_t> ids(8, 3);
    return (*h.servable->predictor->predict(ids, 1, 8))[0].data[0];
  }
  testutil::TempDir dir_;
  Metrics metrics_;
};

TEST_F(RegistryTest, LoadsEveryModelOnceAndServesVersionOne) {
  write("a.model", "0.1");
  write("b.model", "0.2");
  write("c.model", "0.3");
  std::atomic<int> loads{0};
  Registry r(config({"a", "b", "c"}), fake_loader(&loads), {}, &metrics_);
  ASSERT_OK(r.load_all());
  EXPECT_EQ(loads.load(), 3);
  for (const char* n : {"a", "b", "c"}) {
    auto h = r.acquire(n);
    ASSERT_OK(h);
    EXPECT_EQ(h->servable->version, 1);
    EXPECT_EQ(h->servable->labels, (std::vector<std::string>{"0", "1"}));
  }
  EXPECT_TRUE(r.all_ready());
  EXPECT_STATUS(r.acquire("zz"), kNotFound, "model 'zz' not found");
  EXPECT_STATUS(r.acquire("a", 7), kNotFound,
                "model 'a' has no available version 7 (serving version 1)");
}

TEST_F(RegistryTest, ReloadSwapsWhileInFlightRequestsKeepTheirVersion) {
  write("a.model", "0.1");
  Registry r(config({"a"}), fake_loader(), {}, &metrics_);
  ASSERT_OK(r.load_all());
  auto v1 = r.acquire("a");
  const float before = score(*v1);
  write("a.model", "0.9");
  ASSERT_OK(r.reload("a"));
  auto v2 = r.acquire("a");
  EXPECT_EQ(v2->servable->version, 2);
  EXPECT_NE(score(*v2), before);
  EXPECT_EQ(score(*v1), before);  // the old version still works for whoever holds it
  EXPECT_EQ(v1->batcher, v2->batcher);
  auto st = r.status("a");
  ASSERT_EQ(st->versions.size(), 2u);
  EXPECT_EQ(st->versions[0].state, VersionState::kAvailable);
  EXPECT_EQ(st->versions[1].state, VersionState::kEnd);
  EXPECT_EQ(st->loads, 2u);
}

TEST_F(RegistryTest, FailedReloadKeepsTheOldVersionServing) {
  write("a.model", "0.1");
  Registry r(config({"a"}), fake_loader(), {}, &metrics_);
  ASSERT_OK(r.load_all());
  write("a.model", "bad");
  EXPECT_STATUS(r.reload("a"), kCorruption, "model 'a': " + dir_.file("a.model") + ": not a model");
  auto h = r.acquire("a");
  ASSERT_OK(h);
  EXPECT_EQ(h->servable->version, 1);
  auto st = r.status("a");
  EXPECT_EQ(st->serving_version, 1);
  EXPECT_EQ(st->load_failures, 1u);
  EXPECT_NE(st->last_error.message().find("not a model"), std::string::npos);
  EXPECT_EQ(st->versions[0].version, 2);
  EXPECT_EQ(st->versions[0].state, VersionState::kUnavailable);
  EXPECT_EQ(st->versions[1].state, VersionState::kAvailable);
}

TEST_F(RegistryTest, FailedFirstLoadIsUnavailableWithItsError) {
  write("a.model", "bad");
  write("b.model", "0.2");
  Registry r(config({"a", "b"}), fake_loader(), {}, &metrics_);
  EXPECT_STATUS(r.load_all(), kCorruption, "not a model");
  EXPECT_STATUS(r.acquire("a"), kUnavailable, "model 'a' is unavailable: model 'a': ");
  ASSERT_OK(r.acquire("b"));
  EXPECT_FALSE(r.all_ready());
}

TEST_F(RegistryTest, UnloadEndsServingAndReloadBringsItBack) {
  write("a.model", "0.1");
  Registry r(config({"a"}), fake_loader(), {}, &metrics_);
  ASSERT_OK(r.load_all());
  auto held = r.acquire("a");
  ASSERT_OK(r.unload("a"));
  EXPECT_STATUS(r.acquire("a"), kUnavailable, "model 'a' is unloaded");
  EXPECT_EQ(r.status("a")->versions[0].state, VersionState::kEnd);
  EXPECT_EQ(held->servable->version, 1);  // still usable by its holder
  ASSERT_OK(r.reload("a"));
  EXPECT_EQ(r.acquire("a")->servable->version, 2);
  EXPECT_STATUS(r.unload("nope"), kNotFound, "model 'nope' not found");
  EXPECT_STATUS(r.reload("nope"), kNotFound, "model 'nope' is not in the config");
}

TEST_F(RegistryTest, ApplyConfigAddsRemovesAndReloads) {
  for (const char* n : {"a.model", "b.model", "c.model"}) write(n, "0.5");
  Registry r(config({"a", "b"}), fake_loader(), {}, &metrics_);
  ASSERT_OK(r.load_all());
  ASSERT_OK(r.apply_config(config({"b", "c"})));
  EXPECT_STATUS(r.acquire("a"), kUnavailable, "model 'a' is unloaded");
  EXPECT_FALSE(r.status("a")->configured);
  EXPECT_EQ(r.acquire("b")->servable->version, 2);
  EXPECT_EQ(r.acquire("c")->servable->version, 1);
}

TEST_F(RegistryTest, ApplyConfigIsAllOrNothing) {
  for (const char* n : {"a.model", "b.model", "c.model"}) write(n, "0.5");
  Registry r(config({"a", "b"}), fake_loader(), {}, &metrics_);
  EXPECT_EQ(r.status("a")->versions[0].state, VersionState::kLoading);  // before load_all
  EXPECT_FALSE(r.all_ready());
  ASSERT_OK(r.load_all());
  const float a_before = score(*r.acquire("a"));
  write("a.model", "0.9");  // a would change, b stays, c is new and broken
  write("c.model", "bad");
  std::vector<ReloadFailure> failures;
  EXPECT_STATUS(r.apply_config(config({"a", "b", "c"}), &failures), kInvalidArgument,
                "config reload refused, nothing changed: model 'c': ");
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].model, "c");
  EXPECT_EQ(r.acquire("a")->servable->version, 1);
  EXPECT_EQ(score(*r.acquire("a")), a_before);
  EXPECT_EQ(r.acquire("b")->servable->version, 1);
  EXPECT_EQ(r.config().find("c"), nullptr);
  EXPECT_EQ(r.status("a")->versions.size(), 1u);  // the built version 2 was dropped
  EXPECT_EQ(r.status("c")->versions[0].state, VersionState::kUnavailable);
  write("c.model", "0.3");
  ASSERT_OK(r.apply_config(config({"a", "b", "c"})));
  EXPECT_EQ(r.acquire("a")->servable->version, 2);  // the dropped number is reused
  EXPECT_NE(score(*r.acquire("a")), a_before);
  EXPECT_EQ(r.acquire("c")->servable->version, 2);
}

// A config reload rebuilds only what changed (issue 14): a model whose entry and files are
// what its serving version was built from keeps that very instance — no load, no sandbox
// run (hooks.validate), no new version; a changed entry or a changed file rebuilds just
// that model. A config made in code (no entry text) always rebuilds.
TEST_F(RegistryTest, ApplyConfigRebuildsOnlyChangedModels) {
  write("a.model", "0.5");
  write("b.model", "0.5");
  auto with_entries = [&](const std::string& b_entry) {
    ServeConfig c = config({"a", "b"});
    c.models[0].entry = "name: a";
    c.models[1].entry = b_entry;
    return c;
  };
  std::atomic<int> loads{0}, validations{0};
  TrainingHooks hooks;
  hooks.validate = [&](const ModelConfig&) {
    ++validations;
    return Status();
  };
  Registry r(with_entries("name: b"), fake_loader(&loads), hooks, &metrics_);
  ASSERT_OK(r.load_all());
  const auto a1 = r.acquire("a")->servable, b1 = r.acquire("b")->servable;

  ASSERT_OK(r.apply_config(with_entries("name: b")));  // nothing changed
  EXPECT_EQ(loads.load(), 2);
  EXPECT_EQ(validations.load(), 2);
  EXPECT_EQ(r.acquire("a")->servable, a1);
  EXPECT_EQ(r.acquire("b")->servable, b1);
  EXPECT_EQ(r.status("a")->versions.size(), 1u);
  EXPECT_EQ(r.status("a")->loads, 1u);

  ASSERT_OK(r.apply_config(with_entries("name: b\nmax_queue: 9")));  // b's entry changed
  EXPECT_EQ(loads.load(), 3);
  EXPECT_EQ(validations.load(), 3);
  EXPECT_EQ(r.acquire("a")->servable, a1);
  EXPECT_EQ(r.acquire("b")->servable->version, 2);
  const auto b2 = r.acquire("b")->servable;

  write("a.model", "0.75");  // a's file changed (another size: mtimes can be coarse)
  ASSERT_OK(r.apply_config(with_entries("name: b\nmax_queue: 9")));
  EXPECT_EQ(loads.load(), 4);
  EXPECT_EQ(r.acquire("a")->servable->version, 2);
  EXPECT_NE(score(*r.acquire("a")), score(ModelHandle{a1, nullptr}));
  EXPECT_EQ(r.acquire("b")->servable, b2);

  ASSERT_OK(r.apply_config(config({"a", "b"})));  // no entry text: both rebuilt
  EXPECT_EQ(loads.load(), 6);
  EXPECT_EQ(r.acquire("a")->servable->version, 3);
  EXPECT_EQ(r.acquire("b")->servable->version, 3);
}

TEST_F(RegistryTest, GoldenFileMustMatchBeforeAVersionServes) {
  write("a.model", "0.1");
  std::vector<int32_t> ids = {1, 2, 3, 4, 5, 6, 7, 8};
  char line[200];
  std::snprintf(line, sizeof line, "{\"ids\": [1,2,3,4,5,6,7,8], \"expected\": [%.9g]}\n",
                FakePredictor::row_value(ids, 0, 0.1f));
  write("a.golden.jsonl", line);
  Registry r(config({"a"}), fake_loader(), {}, &metrics_);
  ASSERT_OK(r.load_all());
  write("a.model", "0.2");  // a new version that no longer matches the golden outputs
  EXPECT_STATUS(r.reload("a"), kFailedPrecondition, "model 'a': golden case 0 output 0: got ");
  EXPECT_EQ(r.acquire("a")->servable->version, 1);
}

TEST_F(RegistryTest, LabelsMustFitTheOutput) {
  write("a.model", "0.1 3");
  ServeConfig c = config({"a"});
  c.models[0].labels = {"x", "y"};
  Registry r(c, fake_loader(), {}, &metrics_);
  EXPECT_STATUS(r.load_all(), kInvalidArgument,
                "model 'a': labels: 2 labels for an output of 3 unit(s) (expected 3)");
}

TEST_F(RegistryTest, TrainIfMissingCallsTheTrainerOnce) {
  ServeConfig c = config({"a"});
  c.models[0].train_if_missing = true;
  c.models[0].train_data_path = dir_.file("a.csv");
  int trained = 0;
  TrainingHooks hooks;
  hooks.train = [&](const ModelConfig& m) {
    ++trained;
    std::ofstream(m.model_path) << "0.3";
    return Status();
  };
  hooks.fit_tokenizer = [](const ModelConfig&) -> Result<Tokenizer> { return Tokenizer(); };
  Registry r(c, fake_loader(), hooks, &metrics_);
  ASSERT_OK(r.load_all());
  ASSERT_OK(r.reload("a"));
  EXPECT_EQ(trained, 1);
  Registry without(c, fake_loader(), {}, &metrics_);
  std::remove(c.models[0].model_path.c_str());
  EXPECT_STATUS(without.load_all(), kUnimplemented, "missing, and training is not available");
}

// The status says why a path is not a model file; train_if_missing never trains over it.
TEST_F(RegistryTest, UnreadableModelPathsAreReportedAsWhatTheyAre) {
  ASSERT_EQ(::symlink("a.model", dir_.file("a.model").c_str()), 0);  // a loop
  ASSERT_EQ(::mkfifo(dir_.file("b.model").c_str(), 0644), 0);
  ServeConfig c = config({"a", "b", "c"});
  c.models[2].model_path = "/dev/zero";
  for (ModelConfig& m : c.models) {
    m.train_if_missing = true;
    m.train_data_path = dir_.file("x.csv");
  }
  int trained = 0;
  TrainingHooks hooks;
  hooks.train = [&](const ModelConfig&) {
    ++trained;
    return Status();
  };
  Registry r(c, fake_loader(), hooks, &metrics_);
  (void)r.load_all();
  EXPECT_EQ(trained, 0);
  for (auto [name, reason] : {std::pair{"a", "a.model: a symlink loop (too many levels"},
                              std::pair{"b", "b.model: a FIFO, not a regular file"},
                              std::pair{"c", "/dev/zero: a character device, not a regular file"}}) {
    auto st = r.status(name);
    ASSERT_TRUE(st.has_value()) << name;
    EXPECT_EQ(st->last_error.code(), StatusCode::kIOError) << name;
    EXPECT_NE(st->last_error.message().find(reason), std::string::npos)
        << st->last_error.message();
  }
}

TEST_F(RegistryTest, ReadersNeverSeeAVersionGoBackwardsDuringReloads) {
  write("a.model", "0.1");
  Registry r(config({"a"}), fake_loader(), {}, &metrics_);
  ASSERT_OK(r.load_all());
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  std::atomic<int> errors{0};
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      int64_t last = 0;
      while (!done) {
        auto h = r.acquire("a");
        if (!h.ok() || h->servable->version < last) ++errors;
        if (h.ok()) last = h->servable->version;
      }
    });
  }
  for (int i = 0; i < 20; ++i) ASSERT_OK(r.reload("a"));
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(r.acquire("a")->servable->version, 21);
}

}  // namespace
}  // namespace quiver::serve
