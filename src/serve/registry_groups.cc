// The group half of the Registry (registry.h): group definitions, their atomic switches
// and the one-lock snapshot a group request runs on.
//
// Why one lock: a group request must come entirely from one side of a switch. Reading
// the group's side and pinning every model of it under mu_, the lock that switches and
// unloads also take, makes the snapshot atomic; the pinned shared_ptrs then keep those
// versions (and their batchers) alive until the request ends, whatever happens next.
#include "serve/registry.h"

#include <algorithm>

namespace quiver::serve {
namespace {

GroupSide side_of(const GroupConfig& g) { return GroupSide{g.members, g.model}; }

std::string side_text(const GroupSide& side) {
  if (!side.model.empty()) return "model '" + side.model + "'";
  std::string out = "members [";
  for (size_t i = 0; i < side.members.size(); ++i) out += (i ? ", " : "") + side.members[i];
  return out + "]";
}

}  // namespace

Status Registry::side_serves_locked(const GroupSide& side) const {
  std::vector<std::string> names = side.members;
  if (!side.model.empty()) names.push_back(side.model);
  for (const auto& n : names) {
    auto h = acquire_locked(n, std::nullopt);
    if (!h.ok()) return h.status();
  }
  return Status();
}

bool Registry::used_by_group_locked(const std::string& model) const {
  for (const auto& [name, g] : groups_) {
    const auto& m = g.config.members;
    if (g.config.model == model || std::find(m.begin(), m.end(), model) != m.end()) return true;
  }
  return false;
}

Status Registry::set_groups_locked(const std::vector<GroupConfig>& groups) {
  std::map<std::string, GroupState> next;
  Status first_error;
  for (const GroupConfig& g : groups) {
    GroupState state;
    state.config = g;
    auto old = groups_.find(g.name);
    if (old != groups_.end()) {
      state.generation = old->second.generation;
      state.switches = old->second.switches;
      const GroupSide before = side_of(old->second.config);
      if (before != side_of(g)) {
        Status serves = side_serves_locked(side_of(g));
        if (serves.ok()) {
          state.generation++;
          state.switches++;
        } else {  // keep serving the old side rather than fail every request
          state.last_error = serves.with_context("group '" + g.name + "': kept " +
                                                 side_text(before) + ", " + side_text(side_of(g)));
          state.config.members = before.members;
          state.config.model = before.model;
          if (first_error.ok()) first_error = state.last_error;
        }
      }
    }
    next.emplace(g.name, std::move(state));
  }
  groups_ = std::move(next);
  default_group_.clear();
  for (const auto& g : groups) {
    if (g.is_default) default_group_ = g.name;
  }
  if (default_group_.empty() && groups.size() == 1) default_group_ = groups[0].name;
  return first_error;
}

Result<GroupHandle> Registry::acquire_group(const std::string& name) const {
  base::MutexLock lock(mu_);
  const std::string& wanted = name.empty() ? default_group_ : name;
  auto it = groups_.find(wanted);
  if (it == groups_.end()) {
    if (name.empty()) {
      return invalid_argument(
          "category: expected a string (the model name); no default group is configured");
    }
    return not_found("group '" + name + "' not found");
  }
  const GroupState& g = it->second;
  GroupHandle h;
  h.name = g.config.name;
  h.generation = g.generation;
  h.labels = g.config.labels;
  h.shadow_max_queue = g.config.shadow_max_queue;
  const std::string context = "group '" + h.name + "'";
  for (const auto& m : g.config.members) {
    auto member = acquire_locked(m, std::nullopt);
    if (!member.ok()) return member.status().with_context(context);
    h.members.push_back(std::move(member).value());
  }
  if (!g.config.model.empty()) {
    auto model = acquire_locked(g.config.model, std::nullopt);
    if (!model.ok()) return model.status().with_context(context);
    h.model = std::move(model).value();
  }
  const auto& m = g.config.members;
  const bool shadow_serves = g.config.shadow == g.config.model ||
                             std::find(m.begin(), m.end(), g.config.shadow) != m.end();
  if (!g.config.shadow.empty() && !shadow_serves) {
    auto shadow = acquire_locked(g.config.shadow, std::nullopt);
    if (shadow.ok()) h.shadow = std::move(shadow).value();
  }
  return h;
}

Status Registry::switch_group(const std::string& name, GroupSide side) {
  base::MutexLock control(control_mu_);
  base::MutexLock lock(mu_);
  auto it = groups_.find(name);
  if (it == groups_.end()) return not_found("group '" + name + "' not found");
  GroupState& g = it->second;
  const std::string context = "group '" + name + "'";
  if (side.members.empty() == side.model.empty()) {
    return invalid_argument(context + ": give members (binary models) or model, not both");
  }
  std::vector<std::string> names = side.members;
  if (!side.model.empty()) names.push_back(side.model);
  for (const auto& n : names) {
    if (config_.find(n) == nullptr) {
      return invalid_argument(context + ": model '" + n + "' is not in the config");
    }
  }
  Status serves = side_serves_locked(side);
  if (!serves.ok()) {
    g.last_error = failed_precondition(serves.message()).with_context(context);
    return g.last_error;
  }
  if (side_of(g.config) == side) return Status();
  g.config.members = std::move(side.members);
  g.config.model = std::move(side.model);
  g.generation++;
  g.switches++;
  g.last_error = Status();
  return Status();
}

std::vector<GroupStatus> Registry::group_statuses() const {
  base::MutexLock lock(mu_);
  std::vector<GroupStatus> out;
  for (const auto& [name, g] : groups_) {
    out.push_back(GroupStatus{name, side_of(g.config), g.config.shadow, name == default_group_,
                              g.generation, g.switches, g.last_error});
  }
  return out;
}

}  // namespace quiver::serve
