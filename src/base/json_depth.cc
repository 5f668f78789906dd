#include "base/json_depth.h"

#include <algorithm>
#include <string>

namespace quiver::base {

int json_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Status check_json_depth(std::string_view text, int max_depth, std::string_view what) {
  const int depth = json_depth(text);
  if (depth <= max_depth) return Status();
  return resource_exhausted(std::string(what) + ": JSON nested " + std::to_string(depth) +
                            " levels deep, more than the limit of " + std::to_string(max_depth));
}

}  // namespace quiver::base
