// include/quiver/training_options.h over the option table (train/option_table.h), so that
// embedders (the Python module) name and check options as the CLI and the config do.
#include "quiver/training_options.h"

#include "base/suggest.h"
#include "train/option_table.h"

namespace quiver {

Status set_training_option(TrainOptions& options, std::string_view key, const std::string& value) {
  const train::TrainingOption* option = train::find_training_key(key);
  if (option == nullptr) {
    std::vector<std::string> names;
    for (const auto& o : train::training_options()) names.push_back(o.name);
    return invalid_argument("unknown training option '" + std::string(key) + "'" +
                            base::did_you_mean(key, names));
  }
  TrainOptions changed = options;
  Status s = option->set(value, changed);
  if (!s.ok()) return invalid_argument(std::string(key) + ": " + s.message());
  options = std::move(changed);
  return Status();
}

std::vector<std::string> training_option_keys() { return train::training_keys(); }

}  // namespace quiver
