// libFuzzer target: arbitrary bytes as an HTTP request to `quiver serve`'s router, past
// the HTTP parser: every route group (/v1/classify single and group, TF Serving predict /
// classify / metadata, KServe v2 infer / ready / repository, /metrics, /admin) and their
// JSON codecs. Input: "METHOD TARGET[ TOKEN]\n" then the body. Models are fakes
// (tests/serve/fake_predictor.h) with a real tokenizer, so requests go all the way through
// encoding, the batchers and the formatters. Every request must be answered exactly once
// with a valid status and, for JSON answers, a JSON body.
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "fake_predictor.h"
#include "quiver/tokenizer.h"
#include "serve/service.h"

namespace {

using namespace quiver;
using namespace quiver::serve;

struct World {
  std::string dir;
  Metrics metrics;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<Service> service;

  World() {
    char tmpl[] = "/tmp/quiver_serve_fuzz_XXXXXX";
    dir = ::mkdtemp(tmpl);
    Tokenizer tokenizer;
    if (!tokenizer.fit_on_texts({"red green blue", "green sky", "blue sky red"}).ok()) {
      __builtin_trap();
    }
    write("tok.json", tokenizer.to_json());
    write("a.model", "0.1 2");
    write("b.model", "0.2 1");
    write("ml.model", "0.4 2");
    const std::string yaml =
        "server: {admin_token: secret, limits: {max_instances: 16}}\n"
        "models:\n"
        "  - {name: a, model: a.model, tokenizer: tok.json}\n"
        "  - {name: b, model: b.model, tokenizer: tok.json, labels: [no, yes]}\n"
        "  - {name: ml, model: ml.model, tokenizer: tok.json, labels: [a, b]}\n"
        "  - {name: ids, model: a.model}\n"
        "groups:\n  - {name: g, members: [a, b], shadow: ml}\n";
    auto config = parse_config_text(yaml, "fuzz.yaml", dir);
    if (!config.ok()) __builtin_trap();
    ServerConfig server = config->server;
    registry = std::make_unique<Registry>(std::move(config).value(), testing::fake_loader(),
                                          TrainingHooks{}, &metrics);
    if (!registry->load_all().ok()) __builtin_trap();
    service = std::make_unique<Service>(registry.get(), &metrics, server,
                                        [](std::vector<ReloadFailure>*) { return Status(); });
  }
  ~World() {
    service.reset();
    registry.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
  }
};

World& world() {
  static World* w = new World();  // lives for the process: threads keep running
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  const size_t eol = input.find('\n');
  std::string line = input.substr(0, eol);
  HttpRequest request;
  request.body = eol == std::string::npos ? "" : input.substr(eol + 1);
  const size_t sp = line.find(' ');
  request.method = line.substr(0, sp);
  std::string target = sp == std::string::npos ? "/" : line.substr(sp + 1);
  if (const size_t tok = target.find(' '); tok != std::string::npos) {
    request.authorization = "Bearer " + target.substr(tok + 1);
    target.resize(tok);
  }
  const size_t q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) request.query = target.substr(q + 1);
  // Reloads and unloads would change the world between inputs: answer them without acting.
  if (request.path.rfind("/admin", 0) == 0 && request.method == "POST") request.authorization = "";
  if (request.path.find("/load") != std::string::npos ||
      request.path.find("/unload") != std::string::npos) {
    request.authorization = "";
  }

  auto answer = std::make_shared<std::promise<HttpResponse>>();
  auto answered = std::make_shared<std::atomic<int>>(0);
  world().service->handle(std::move(request), [answer, answered](HttpResponse r) {
    if (answered->fetch_add(1) == 0) answer->set_value(std::move(r));
  });
  auto future = answer->get_future();
  if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) __builtin_trap();
  HttpResponse r = future.get();
  if (r.status < 200 || r.status > 599) __builtin_trap();
  if (r.content_type == "application/json" &&
      nlohmann::json::parse(r.body, nullptr, false).is_discarded()) {
    __builtin_trap();  // every JSON answer, errors included, must be JSON
  }
  return 0;
}
