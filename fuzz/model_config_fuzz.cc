// libFuzzer target: arbitrary bytes as a model config — the model_config attribute /
// config.json (parse_config_json) and an architecture file (JSON or YAML,
// parse_architecture_text) — through parse_model_config to a layer graph.
// Any crash, sanitizer report or uncaught exception is a bug; error Statuses are expected.
#include <cstddef>
#include <cstdint>
#include <string>

#include "keras_io/config_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (auto parse : {&quiver::keras_io::parse_config_json,
                     &quiver::keras_io::parse_architecture_text}) {
    quiver::Result<nlohmann::json> config = parse(text);
    if (config.ok()) (void)quiver::keras_io::parse_model_config(*config);
  }
  return 0;
}
