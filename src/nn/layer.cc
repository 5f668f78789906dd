// Layer base, LayerContext messages, ConfigReader and weight-shape checks.
#include "nn/layer.h"

#include <cmath>

namespace quiver::nn {

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? std::string("None") : std::to_string(shape[i]);
  }
  return s + "]";
}

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Value make_value(Tensor t, std::shared_ptr<const std::vector<uint8_t>> mask) {
  Value v;
  v.dense = std::make_shared<const Tensor>(std::move(t));
  v.mask = std::move(mask);
  return v;
}

Tensor zeros(std::vector<int64_t> shape) {
  Tensor t;
  t.shape = std::move(shape);
  t.data.assign(static_cast<size_t>(t.size()), 0.0f);
  return t;
}

std::string LayerContext::where() const {
  return meta.path + ": layer '" + spec.name + "' (" + spec.class_name + ")";
}

Status LayerContext::error(StatusCode code, std::string_view message) const {
  return Status(code, where() + ": " + std::string(message));
}
Status LayerContext::unimplemented(std::string_view message) const {
  return error(StatusCode::kUnimplemented, message);
}
Status LayerContext::corrupt(std::string_view message) const {
  return error(StatusCode::kCorruption, message);
}

Layer::Layer(const LayerContext& ctx) : name_(ctx.spec.name), class_name_(ctx.spec.class_name) {}

void add_memory(MemoryUsage* to, const MemoryUsage& from) {
  to->weights += from.weights;
  to->tables += from.tables;
  to->trajectories += from.trajectories;
  to->tokenizer += from.tokenizer;
  to->other += from.other;
}

MemoryUsage Layer::memory_usage() const {
  MemoryUsage m;
  m.weights = memory_bytes_;
  return m;
}

const nlohmann::json* ConfigReader::get(const char* key) const {
  if (!config_.is_object()) return nullptr;
  auto it = config_.find(key);
  if (it == config_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool ConfigReader::has(const char* key) const { return get(key) != nullptr; }

void ConfigReader::fail(std::string_view message) {
  if (status_.ok()) status_ = ctx_.error(StatusCode::kCorruption, message);
}

int64_t ConfigReader::integer(const char* key, int64_t fallback) {
  const nlohmann::json* v = get(key);
  if (!v) return fallback;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (std::floor(d) == d && std::abs(d) < 1e15) return static_cast<int64_t>(d);
  }
  fail(std::string("config field '") + key + "' is not an integer: " + json_text(*v));
  return fallback;
}

int64_t ConfigReader::required_integer(const char* key) {
  if (!has(key)) {
    fail(std::string("config field '") + key + "' is missing");
    return 0;
  }
  return integer(key, 0);
}

double ConfigReader::number(const char* key, double fallback) {
  const nlohmann::json* v = get(key);
  if (!v) return fallback;
  if (v->is_number()) return v->get<double>();
  fail(std::string("config field '") + key + "' is not a number: " + json_text(*v));
  return fallback;
}

bool ConfigReader::boolean(const char* key, bool fallback) {
  const nlohmann::json* v = get(key);
  if (!v) return fallback;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number_integer()) return v->get<int64_t>() != 0;
  fail(std::string("config field '") + key + "' is not a boolean: " + json_text(*v));
  return fallback;
}

std::string ConfigReader::string(const char* key, const std::string& fallback) {
  const nlohmann::json* v = get(key);
  if (!v) return fallback;
  if (v->is_string()) return v->get<std::string>();
  fail(std::string("config field '") + key + "' is not a string: " + json_text(*v));
  return fallback;
}

std::vector<int64_t> ConfigReader::int_list(const char* key) {
  const nlohmann::json* v = get(key);
  std::vector<int64_t> out;
  if (!v) return out;
  if (v->is_number_integer()) return {v->get<int64_t>()};
  if (!v->is_array()) {
    fail(std::string("config field '") + key + "' is not a list of integers: " + json_text(*v));
    return out;
  }
  for (const auto& e : *v) {
    if (!e.is_number_integer()) {
      fail(std::string("config field '") + key + "' is not a list of integers: " + json_text(*v));
      return {};
    }
    out.push_back(e.get<int64_t>());
  }
  return out;
}

int64_t ConfigReader::int_or_first(const char* key, int64_t fallback) {
  if (!has(key)) return fallback;
  std::vector<int64_t> list = int_list(key);
  if (list.size() != 1) {
    fail(std::string("config field '") + key + "' must hold one integer: " + json_text(*get(key)));
    return fallback;
  }
  return list[0];
}

void ConfigReader::require_value(const char* key, const nlohmann::json& allowed) {
  const nlohmann::json* v = get(key);
  if (!v || *v == allowed) return;
  if (status_.ok()) {
    status_ = ctx_.unimplemented(std::string("option ") + key + "=" + json_text(*v) +
                                 " is not supported (only " + json_text(allowed) + ")");
  }
}

Status expect_weight_count(const LayerContext& ctx, size_t expected) {
  if (ctx.spec.weights.size() == expected) return Status();
  return ctx.corrupt("has " + std::to_string(ctx.spec.weights.size()) +
                     " weight arrays, expected " + std::to_string(expected));
}

Status expect_shape(const LayerContext& ctx, const keras_io::WeightArray& w, const Shape& expected,
                    std::string_view what) {
  if (w.shape == expected && w.values.size() == static_cast<size_t>(Tensor{expected, {}, {}}.size())) {
    return Status();
  }
  return ctx.corrupt(std::string(what) + " shape " + shape_to_string(w.shape) + ", expected " +
                     shape_to_string(expected));
}

Status expect_inputs(const LayerContext& ctx, size_t count) {
  if (ctx.input_shapes.size() == count) return Status();
  return ctx.error(StatusCode::kCorruption, "is called with " +
                                                std::to_string(ctx.input_shapes.size()) +
                                                " inputs, expected " + std::to_string(count));
}

}  // namespace quiver::nn
