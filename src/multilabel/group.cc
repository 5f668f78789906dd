#include "multilabel/group.h"

#include <set>

#include "serve/config.h"
#include "serve/servable.h"

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

}  // namespace

Result<GroupMember> parse_member(const std::string& text, const std::string& flag) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return invalid_argument(flag + " '" + text + "': expected CATEGORY=FILE");
  }
  GroupMember m{text.substr(0, eq), text.substr(eq + 1), {}};
  // Categories become model names, group categories and metric labels in serve: its rule.
  Status name = serve::check_name(m.category);
  if (!name.ok()) return name.with_context(flag + " '" + text + "'");
  m.options.model_path = m.model_path;
  return m;
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
  QUIVER_ASSIGN_OR_RETURN(serve::ServeConfig config, serve::load_config(config_path));
  const serve::GroupConfig* g = config.find_group(group);
  if (g == nullptr) return not_found(config_path + ": no group named '" + group + "'");
  if (g->members.empty()) {
    return invalid_argument(config_path + ": group '" + group + "' is served by the multi-label model '" +
                            g->model + "'; compare needs a group of binary members");
  }
  for (const auto& name : g->members) {
    const serve::ModelConfig* m = config.find(name);
    if (m == nullptr) return internal_error(config_path + ": group member '" + name + "' has no model");
    ClassifierOptions options = serve::classifier_options(*m);
    options.train_if_missing = false;  // compare scores existing models, it never trains
    out.push_back({name, m->model_path, std::move(options)});
  }
  return out;
}

}  // namespace quiver::multilabel
