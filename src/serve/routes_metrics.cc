// GET /metrics — Prometheus text exposition format (version 0.0.4).
#include "serve/json_codec.h"
#include "serve/service.h"

namespace quiver::serve {

bool route_metrics(Service& service, HttpRequest& request, Responder& respond) {
  if (request.path != "/metrics") return false;
  if (request.method != "GET") {
    respond(json_response(405, error_body("use GET for /metrics")));
    return true;
  }
  std::vector<ModelFacts> facts;
  for (const ModelStatus& s : service.registry().statuses()) {
    const bool loading =
        s.rebuilding || (!s.versions.empty() && s.versions.front().state == VersionState::kLoading);
    facts.push_back(ModelFacts{s.name, s.memory_bytes, s.serving_version, s.memory, s.loads,
                               s.load_failures, s.serving_version > 0, loading, s.on_demand,
                               s.evictions});
  }
  std::vector<GroupFacts> groups;
  for (const GroupStatus& g : service.registry().group_statuses()) {
    groups.push_back(GroupFacts{g.name, g.generation, g.switches});
  }
  const MemoryStatus m = service.registry().memory();
  const MemoryFacts memory{m.budget_bytes, m.loaded_bytes, m.on_demand_loads, m.evictions};
  respond(HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                       service.metrics().render(facts, groups, memory)});
  return true;
}

}  // namespace quiver::serve
