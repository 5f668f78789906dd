// A config's declared sizes against quiver/limits.h. Keras writes sizes as integers (or a
// one-element list, kernel_size: [3]); a number the factories would read as a size is
// checked here first, so no factory ever sizes an allocation from an unchecked number.
#include "nn/declared_sizes.h"

#include <string>

#include "quiver/limits.h"

namespace quiver::nn {
namespace {

using nlohmann::json;

struct SizeKey {
  const char* key;
  int64_t limit;
  bool shape;  // a list of dimensions whose product is bounded too
};

constexpr SizeKey kSizeKeys[] = {
    {"units", limits::kMaxDimension, false},
    {"output_dim", limits::kMaxDimension, false},
    {"filters", limits::kMaxDimension, false},
    {"kernel_size", limits::kMaxDimension, false},
    {"pool_size", limits::kMaxDimension, false},
    {"strides", limits::kMaxDimension, false},
    {"dilation_rate", limits::kMaxDimension, false},
    {"n", limits::kMaxDimension, false},
    {"nb_filter", limits::kMaxDimension, false},  // Keras 1 names
    {"filter_length", limits::kMaxDimension, false},
    {"subsample_length", limits::kMaxDimension, false},
    {"pool_length", limits::kMaxDimension, false},
    {"stride", limits::kMaxDimension, false},
    {"num_heads", limits::kMaxDimension, false},  // MultiHeadAttention
    {"key_dim", limits::kMaxDimension, false},
    {"value_dim", limits::kMaxDimension, false},
    {"output_shape", limits::kMaxDimension, true},
    {"output_sequence_length", limits::kMaxSequenceLength, false},  // TextVectorization
    {"max_tokens", limits::kMaxVocabulary, false},
    {"input_length", limits::kMaxSequenceLength, false},
    {"input_dim", limits::kMaxVocabulary, false},
    {"batch_input_shape", limits::kMaxSequenceLength, true},
    {"batch_shape", limits::kMaxSequenceLength, true},
    {"input_shape", limits::kMaxSequenceLength, true},
    {"target_shape", limits::kMaxDimension, true},
    {"dims", limits::kMaxDimension, true},
};
constexpr int kMaxWrapperNesting = 8;

// The value as a magnitude; ~0 for integers that do not fit int64 (2^63 and above).
uint64_t magnitude(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) return static_cast<uint64_t>(v.get<int64_t>() < 0 ? 0 : v.get<int64_t>());
  if (v.is_number_float()) {
    const double d = v.get<double>();
    return d >= 1.8e19 ? ~uint64_t{0} : d > 0 ? static_cast<uint64_t>(d) : 0;
  }
  return 0;
}

Status too_large(const LayerContext& ctx, const std::string& what, const std::string& value,
                 int64_t limit) {
  return ctx.error(StatusCode::kResourceExhausted,
                   what + " " + value + " exceeds the limit of " + std::to_string(limit) +
                       " (docs/limits.md)");
}

Status check_key(const LayerContext& ctx, const std::string& prefix, const SizeKey& k,
                 const json& v) {
  const std::string what = prefix + k.key;
  if (!v.is_array()) {
    if (magnitude(v) > static_cast<uint64_t>(k.limit)) return too_large(ctx, what, v.dump(), k.limit);
    return Status();
  }
  uint64_t product = 1;
  for (const json& d : v) {
    const uint64_t m = magnitude(d);
    if (m > static_cast<uint64_t>(k.limit)) return too_large(ctx, what, json_text(v), k.limit);
    if (!k.shape || m == 0) continue;
    product *= m;  // each factor <= 2^28, and the product is checked after each step
    if (product > static_cast<uint64_t>(limits::kMaxElementsPerSample)) {
      return too_large(ctx, what + " (elements per sample)", json_text(v),
                       limits::kMaxElementsPerSample);
    }
  }
  return Status();
}

Status check_config(const LayerContext& ctx, const json& config, const std::string& prefix,
                    int depth) {
  if (!config.is_object()) return Status();
  for (const SizeKey& k : kSizeKeys) {
    auto it = config.find(k.key);
    if (it != config.end()) QUIVER_RETURN_IF_ERROR(check_key(ctx, prefix, k, *it));
  }
  if (depth >= kMaxWrapperNesting) return Status();  // the factories refuse deeper wrappers
  for (const char* inner : {"layer", "backward_layer", "cell"}) {
    auto it = config.find(inner);
    if (it != config.end() && it->is_object() && it->contains("config")) {
      QUIVER_RETURN_IF_ERROR(
          check_config(ctx, (*it)["config"], prefix + inner + ".", depth + 1));
    }
  }
  return Status();
}

}  // namespace

Status check_declared_sizes(const LayerContext& ctx) {
  return check_config(ctx, ctx.spec.config, "", 0);
}

Status check_output_sizes(const LayerContext& ctx, const std::vector<Shape>& outputs) {
  for (const Shape& shape : outputs) {
    uint64_t product = 1;
    for (int64_t d : shape) {
      if (d <= 0) continue;  // unknown (-1) or empty
      if (__builtin_mul_overflow(product, static_cast<uint64_t>(d), &product) ||
          product > static_cast<uint64_t>(limits::kMaxElementsPerSample)) {
        return too_large(ctx, "output shape", shape_to_string(shape),
                         limits::kMaxElementsPerSample);
      }
    }
  }
  return Status();
}

}  // namespace quiver::nn
