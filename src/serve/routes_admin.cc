// Admin endpoints, behind "Authorization: Bearer <token>" (server.admin_token or the
// QUIVER_ADMIN_TOKEN environment variable; all answer 403 when neither is set):
//   POST /admin/models/{name}/load     load the configured model (again) and serve it
//   POST /admin/models/{name}/reload   the same: a new version beside the old, then a swap
//   POST /admin/models/{name}/unload   stop serving it (queued requests finish)
//   POST /admin/reload                 re-read the config file and apply it, all or nothing
//   GET  /admin/models                 every model's state, versions and last error
//   POST /admin/groups/{name}          switch a group's serving side: {"model": "X"} or
//                                      {"members": ["A", "B"]} (models already serving)
//   GET  /admin/groups                 every group's side, generation and last error
// Loads run on the admin thread, never on an I/O thread.
#include "serve/json_codec.h"
#include "serve/service.h"

namespace quiver::serve {
namespace {

// Compares without an early exit, so the time taken does not reveal the matching prefix.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ (i < b.size() ? b[i] : 0);
  return diff == 0;
}

}  // namespace

std::optional<HttpResponse> check_admin(const Service& service, const HttpRequest& request) {
  const std::string& token = service.server().admin_token;
  if (token.empty()) {
    return json_response(403, error_body("admin endpoints are disabled: set server.admin_token "
                                         "or QUIVER_ADMIN_TOKEN"));
  }
  const std::string prefix = "Bearer ";
  if (request.authorization.rfind(prefix, 0) != 0 ||
      !same_secret(request.authorization.substr(prefix.size()), token)) {
    return json_response(401, error_body("missing or wrong bearer token"));
  }
  return std::nullopt;
}

std::string model_status_json(const ModelStatus& s) {
  std::string out = "{\"name\":";
  append_json_string(out, s.name);
  out += ",\"serving_version\":" + std::to_string(s.serving_version);
  out += ",\"configured\":" + std::string(s.configured ? "true" : "false");
  out += ",\"loads\":" + std::to_string(s.loads);
  out += ",\"load_failures\":" + std::to_string(s.load_failures);
  out += ",\"memory_bytes\":" + std::to_string(s.memory_bytes);
  out += ",\"error\":";
  append_json_string(out, s.last_error.message());
  out += ",\"versions\":[";
  for (size_t i = 0; i < s.versions.size(); ++i) {
    if (i) out += ',';
    out += "{\"version\":" + std::to_string(s.versions[i].version) + ",\"state\":\"" +
           version_state_name(s.versions[i].state) + "\",\"error\":";
    append_json_string(out, s.versions[i].error.message());
    out += '}';
  }
  return out + "]}";
}

int load_failure_http_status(const Status& status, bool configured) {
  if (status.code() == StatusCode::kNotFound && !configured) return 404;
  if (status.code() == StatusCode::kInternal) return 500;
  if (status.code() == StatusCode::kUnavailable) return 503;
  return 400;  // the model, its files or the config cannot be loaded: nothing changed
}

void run_model_op(Service& service, const std::string& name, bool unload,
                  const Responder& respond) {
  Registry* registry = &service.registry();
  auto op = [registry, name, unload] {
    return unload ? registry->unload(name) : registry->reload(name);
  };
  service.run_admin(
      op,
      [registry, name](const Status& st) {
        if (!st.ok()) {
          const bool configured = registry->config().find(name) != nullptr;
          return json_response(load_failure_http_status(st, configured), error_body(st.message()));
        }
        auto s = registry->status(name);
        return json_response(200, s ? model_status_json(*s) : "{}");
      },
      respond);
}

namespace {

std::string group_status_json(const GroupStatus& g) {
  std::string out = "{\"name\":";
  append_json_string(out, g.name);
  out += ",\"members\":[";
  for (size_t i = 0; i < g.side.members.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, g.side.members[i]);
  }
  out += "],\"model\":";
  append_json_string(out, g.side.model);
  out += ",\"shadow\":";
  append_json_string(out, g.shadow);
  out += ",\"default\":" + std::string(g.is_default ? "true" : "false");
  out += ",\"generation\":" + std::to_string(g.generation);
  out += ",\"switches\":" + std::to_string(g.switches) + ",\"error\":";
  append_json_string(out, g.last_error.message());
  return out + "}";
}

Result<GroupSide> read_group_side(const std::string& body) {
  QUIVER_ASSIGN_OR_RETURN(nlohmann::json j, parse_json_object(body));
  GroupSide side;
  for (const auto& [key, value] : j.items()) {
    if (key == "model" && value.is_string()) {
      side.model = value.get<std::string>();
    } else if (key == "members" && value.is_array()) {
      for (const auto& m : value) {
        if (!m.is_string()) return invalid_argument("members: expected an array of model names");
        side.members.push_back(m.get<std::string>());
      }
    } else {
      return invalid_argument("expected {\"model\": \"X\"} or {\"members\": [...]}, got field '" +
                              key + "'");
    }
  }
  return side;
}

void switch_group(Service& service, const std::string& name, const std::string& body,
                  const Responder& respond) {
  auto side = read_group_side(body);
  if (!side.ok()) return respond(error_response(side.status()));
  Registry* registry = &service.registry();
  service.run_admin([registry, name, side = *side] { return registry->switch_group(name, side); },
                    [registry, name](const Status& st) {
                      if (!st.ok()) return error_response(st);
                      for (const auto& g : registry->group_statuses()) {
                        if (g.name == name) return json_response(200, group_status_json(g));
                      }
                      return json_response(200, "{}");
                    },
                    respond);
}

// POST /admin/reload: 200 {"reloaded": true}, or the failure (nothing changed) with each
// model's error: {"error": "...", "failures": [{"model": "b", "error": "..."}, ...]}.
void reload_all(Service& service, const Responder& respond) {
  Service* svc = &service;
  auto failures = std::make_shared<std::vector<ReloadFailure>>();
  service.run_admin([svc, failures] { return svc->reload_config(failures.get()); },
                    [failures](const Status& st) {
                      if (st.ok()) return json_response(200, "{\"reloaded\":true}");
                      std::string body = "{\"error\":";
                      append_json_string(body, st.message());
                      body += ",\"failures\":[";
                      for (size_t i = 0; i < failures->size(); ++i) {
                        body += i ? ",{\"model\":" : "{\"model\":";
                        append_json_string(body, (*failures)[i].model);
                        body += ",\"error\":";
                        append_json_string(body, (*failures)[i].error.message());
                        body += '}';
                      }
                      return json_response(load_failure_http_status(st, true), body + "]}");
                    },
                    respond);
}

void list_groups(Service& service, const Responder& respond) {
  std::string out = "{\"groups\":[";
  auto all = service.registry().group_statuses();
  for (size_t i = 0; i < all.size(); ++i) out += (i ? "," : "") + group_status_json(all[i]);
  respond(json_response(200, out + "]}"));
}

}  // namespace

bool route_admin(Service& service, HttpRequest& request, Responder& respond) {
  std::vector<std::string> seg = split_path(request.path);
  if (seg.empty() || seg[0] != "admin") return false;
  if (auto denied = check_admin(service, request)) {
    respond(*denied);
    return true;
  }
  Registry* registry = &service.registry();
  if (seg.size() == 2 && seg[1] == "models" && request.method == "GET") {
    std::string out = "{\"models\":[";
    auto all = registry->statuses();
    for (size_t i = 0; i < all.size(); ++i) out += (i ? "," : "") + model_status_json(all[i]);
    respond(json_response(200, out + "]}"));
  } else if (seg.size() == 2 && seg[1] == "reload" && request.method == "POST") {
    reload_all(service, respond);
  } else if (seg.size() == 4 && seg[1] == "models" && request.method == "POST" &&
             (seg[3] == "load" || seg[3] == "reload" || seg[3] == "unload")) {
    run_model_op(service, seg[2], seg[3] == "unload", respond);
  } else if (seg.size() == 2 && seg[1] == "groups" && request.method == "GET") {
    list_groups(service, respond);
  } else if (seg.size() == 3 && seg[1] == "groups" && request.method == "POST") {
    switch_group(service, seg[2], request.body, respond);
  } else {
    respond(error_response(not_found("no admin route for " + request.method + " " + request.path)));
  }
  return true;
}

}  // namespace quiver::serve
