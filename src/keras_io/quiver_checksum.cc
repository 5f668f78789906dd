#include "keras_io/quiver_checksum.h"

#include <nlohmann/json.hpp>

#include "base/crc32.h"
#include "keras_io/h5_objects.h"

namespace quiver::keras_io {
namespace {

using nlohmann::json;

uint32_t add_u64(uint32_t crc, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
  return base::crc32(crc, b, sizeof b);
}

uint32_t add_string(uint32_t crc, std::string_view s) {
  return base::crc32(add_u64(crc, s.size()), s);
}

bool covered(const std::string& name) {
  return name == "model_config" || (name.rfind("quiver_", 0) == 0 && name != kChecksumAttribute);
}

Status mismatch(const std::string& what, uint32_t computed, const std::string& recorded) {
  return corruption(what + " does not match quiver_checksum (crc32 " + base::crc32_hex(computed) +
                    ", recorded " + recorded +
                    "): the file was changed or damaged after quiver wrote it");
}

Result<json> parse_recorded(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("algorithm") || !j["algorithm"].is_string() ||
      !j.contains("attributes") || !j["attributes"].is_string() || !j.contains("layers") ||
      !j["layers"].is_object()) {
    return corruption("quiver_checksum is not a checksum quiver writes");
  }
  if (j["algorithm"] != "crc32") {
    return unimplemented("quiver_checksum uses algorithm " + j["algorithm"].dump() +
                         " (this quiver knows crc32; the file was written by a newer quiver?)");
  }
  for (const auto& [name, crc] : j["layers"].items()) {
    if (!crc.is_string()) return corruption("quiver_checksum is not a checksum quiver writes");
  }
  return j;
}

// The CRC of every layer of layer_names, read again from the file.
Result<std::map<std::string, uint32_t>> layer_crcs(hid_t file, uint64_t max_bytes) {
  std::map<std::string, uint32_t> out;
  if (!h5::is_group(file, "model_weights")) return out;
  QUIVER_ASSIGN_OR_RETURN(h5::Handle group, h5::open_group(file, "model_weights"));
  QUIVER_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          h5::read_string_list(group.get(), "layer_names"));
  for (const std::string& name : names) {
    const std::string where = "layer '" + name + "'";
    Result<h5::Handle> g = h5::open_group(group.get(), name);
    if (!g.ok()) return g.status().with_context(where);
    Result<std::vector<std::string>> weights = h5::read_string_list(g->get(), "weight_names");
    if (!weights.ok()) return weights.status().with_context(where);
    WeightsCrc crc;
    for (const std::string& w : *weights) {
      h5::WeightBudget budget{max_bytes};  // one array at a time
      Result<WeightArray> a = h5::read_float_dataset(g->get(), w, w, budget);
      if (!a.ok()) return a.status().with_context(where);
      if (budget.exceeded()) return resource_exhausted(where + ": weight " + w + " is too large");
      crc.add(w, a->shape, a->values.data(), a->values.size());
    }
    out[name] = crc.value();
  }
  return out;
}

}  // namespace

void WeightsCrc::add(std::string_view name, const std::vector<int64_t>& shape,
                     const float* values, size_t count) {
  crc_ = add_string(crc_, name);
  crc_ = add_u64(crc_, shape.size());
  for (int64_t d : shape) crc_ = add_u64(crc_, static_cast<uint64_t>(d));
  crc_ = base::crc32(crc_, values, count * sizeof(float));  // little-endian hosts
}

uint32_t attributes_crc(const std::map<std::string, std::string>& root_attributes) {
  uint32_t crc = 0;
  for (const auto& [name, value] : root_attributes) {  // std::map: name order
    if (!covered(name)) continue;
    crc = add_string(add_string(crc, name), value);
  }
  return crc;
}

std::string checksum_text(uint32_t attributes, const std::map<std::string, uint32_t>& layers) {
  json j = {{"algorithm", "crc32"}, {"attributes", base::crc32_hex(attributes)},
            {"layers", json::object()}};
  for (const auto& [name, crc] : layers) j["layers"][name] = base::crc32_hex(crc);
  return j.dump();
}

Result<std::string> recomputed_checksum(hid_t file) {
  QUIVER_ASSIGN_OR_RETURN(auto attributes, h5::root_string_attributes(file));
  auto it = attributes.find(kChecksumAttribute);
  if (it == attributes.end()) {
    if (h5::has_attribute(file, kChecksumAttribute)) {
      return corruption("quiver_checksum is not a checksum quiver writes");
    }
    return std::string();
  }
  QUIVER_ASSIGN_OR_RETURN(json j, parse_recorded(it->second));
  j["attributes"] = base::crc32_hex(attributes_crc(attributes));
  return j.dump();
}

Status verify_checksum(hid_t file, uint64_t max_bytes) {
  if (!h5::has_attribute(file, kChecksumAttribute)) return Status();
  Result<std::vector<std::string>> text = h5::read_string_attribute(file, kChecksumAttribute);
  if (!text.ok() || text->size() != 1) {
    return corruption("quiver_checksum is not a checksum quiver writes");
  }
  QUIVER_ASSIGN_OR_RETURN(json recorded, parse_recorded(text->front()));
  QUIVER_ASSIGN_OR_RETURN(auto attributes, h5::root_string_attributes(file));
  const uint32_t attrs = attributes_crc(attributes);
  if (base::crc32_hex(attrs) != recorded["attributes"].get<std::string>()) {
    return mismatch("the model_config and quiver_* attributes", attrs,
                    recorded["attributes"].get<std::string>());
  }
  QUIVER_ASSIGN_OR_RETURN(auto layers, layer_crcs(file, max_bytes));
  for (const auto& [name, crc] : recorded["layers"].items()) {
    if (!layers.count(name)) {
      return corruption("layer '" + name + "' recorded in quiver_checksum is not in the file: "
                        "the file was changed or damaged after quiver wrote it");
    }
  }
  for (const auto& [name, crc] : layers) {
    if (!recorded["layers"].contains(name)) {
      return corruption("layer '" + name + "' is not recorded in quiver_checksum: the file was "
                        "changed or damaged after quiver wrote it");
    }
    const std::string want = recorded["layers"][name].get<std::string>();
    if (base::crc32_hex(crc) != want) return mismatch("the weights of layer '" + name + "'", crc, want);
  }
  return Status();
}

}  // namespace quiver::keras_io
