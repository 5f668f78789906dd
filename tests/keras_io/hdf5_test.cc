// hdf5.h: root attributes helper, and concurrent loads under the process-wide HDF5 lock.
#include "keras_io/hdf5.h"

#include <thread>

#include "keras_io/model_spec.h"
#include "synthetic_files.h"
#include "testutil.h"

namespace quiver::keras_io {
namespace {

using Hdf5Test = testutil::SyntheticFilesTest;

TEST_F(Hdf5Test, ReadsFixedLengthRootAttributes) {
  Result<std::map<std::string, std::string>> attrs =
      read_root_string_attributes(file("keras20.h5"));
  ASSERT_OK(attrs);
  EXPECT_EQ(attrs->at("keras_version"), "2.0.8");
  EXPECT_EQ(attrs->at("backend"), "tensorflow");
  EXPECT_EQ(attrs->at("model_config").rfind("{\"class_name\": \"Sequential\"", 0), 0u);
}

TEST_F(Hdf5Test, ReadsVariableLengthRootAttributes) {
  Result<std::map<std::string, std::string>> attrs =
      read_root_string_attributes(file("tfkeras.h5"));
  ASSERT_OK(attrs);
  EXPECT_EQ(attrs->at("keras_version"), "2.11.0");
  EXPECT_EQ(attrs->count("layer_names"), 0u);  // lives on /model_weights, not the root
}

TEST_F(Hdf5Test, RootAttributeErrors) {
  EXPECT_STATUS(read_root_string_attributes(file("absent.h5")), kNotFound, "absent.h5");
  EXPECT_STATUS(read_root_string_attributes(file("keras1.json")), kCorruption,
                "keras1.json: not a readable HDF5 file");
}

TEST_F(Hdf5Test, ConcurrentLoadsGiveIdenticalSpecs) {
  Result<ModelSpec> reference = read_model(file("keras3.keras"));
  ASSERT_OK(reference);
  std::vector<std::thread> threads;
  std::vector<int> same(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        bool zip = (t + i) % 2 == 1;
        Result<ModelSpec> spec = read_model(file(zip ? "keras3.keras" : "keras20.h5"));
        if (!spec.ok()) return;
        const auto& expected = reference->layers[2].weights[4].values;
        if (zip && spec->layers[2].weights[4].values != expected) return;
        ++same[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(same[t], 5) << "thread " << t;
}

}  // namespace
}  // namespace quiver::keras_io
