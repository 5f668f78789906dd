#include "multilabel/group.h"

#include <filesystem>
#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

namespace quiver::multilabel {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? p : p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

// models[].name -> path (resolved), and the members of `group`; throws YAML::Exception.
Result<std::vector<GroupMember>> from_yaml(const YAML::Node& root, const std::string& group,
                                           const std::string& config) {
  const std::filesystem::path base = std::filesystem::absolute(config).parent_path();
  std::map<std::string, std::string> models;
  for (const auto& m : root["models"]) {
    if (!m["name"] || !m["model"]) return invalid_argument(config + ": models[]: needs name and model");
    std::filesystem::path p = m["model"].as<std::string>();
    models[m["name"].as<std::string>()] = (p.is_absolute() ? p : base / p).string();
  }
  for (const auto& g : root["groups"]) {
    if (!g["name"] || g["name"].as<std::string>() != group) continue;
    if (!g["members"]) {
      return invalid_argument(config + ": groups." + group +
                              ": not a group of binary members (compare needs members: [...])");
    }
    std::vector<GroupMember> out;
    for (const auto& member : g["members"]) {
      const std::string name = member.as<std::string>();
      auto it = models.find(name);
      if (it == models.end()) {
        return invalid_argument(config + ": groups." + group + ".members: no model named '" + name + "'");
      }
      out.push_back({name, it->second});
    }
    return out;
  }
  return not_found(config + ": no group named '" + group + "'");
}

}  // namespace

Result<GroupMember> parse_member(const std::string& text, const std::string& flag) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return invalid_argument(flag + " '" + text + "': expected CATEGORY=FILE");
  }
  return GroupMember{text.substr(0, eq), text.substr(eq + 1)};
}

Result<std::vector<GroupMember>> resolve_group(const std::string& group,
                                               const std::string& config_path) {
  std::vector<GroupMember> out;
  if (group.find('=') != std::string::npos) {
    std::set<std::string> seen;
    for (const auto& part : split(group, ',')) {
      QUIVER_ASSIGN_OR_RETURN(GroupMember m, parse_member(part, "--group"));
      if (!seen.insert(m.category).second) {
        return invalid_argument("--group: category '" + m.category + "' given twice");
      }
      out.push_back(std::move(m));
    }
    return out;
  }
  if (config_path.empty()) {
    return invalid_argument("--group '" + group + "' is a group name: give --config serve.yaml, "
                            "or list the members as A=A.h5,B=B.h5");
  }
  if (!std::filesystem::exists(config_path)) return not_found(config_path + ": no such file");
  try {
    return from_yaml(YAML::LoadFile(config_path), group, config_path);
  } catch (const YAML::Exception& e) {
    return invalid_argument(config_path + ": " + e.what());
  }
}

}  // namespace quiver::multilabel
