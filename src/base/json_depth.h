// A pre-scan of JSON text for its nesting depth, run before a DOM parser sees the text.
//
// nlohmann::json parses iteratively, but copying, comparing and dumping a document recurse
// once per level: a 1 MB document of '[' nests 1,000,000 levels and exhausts the stack of
// whatever walks it. Every parser of untrusted JSON calls check_json_depth first, so a
// document deeper than the limit is refused before any DOM exists. Thread-safe.
#ifndef QUIVER_BASE_JSON_DEPTH_H_
#define QUIVER_BASE_JSON_DEPTH_H_

#include <string_view>

#include "quiver/status.h"

namespace quiver::base {

// The deepest nesting of '[' / '{' outside string literals (0 for a scalar). Text that is
// not valid JSON still gets a number (the parser rejects it afterwards).
int json_depth(std::string_view text);

// ResourceExhausted "`what`: JSON nested deeper than `max_depth` levels" when
// json_depth(text) > max_depth.
Status check_json_depth(std::string_view text, int max_depth, std::string_view what);

}  // namespace quiver::base

#endif  // QUIVER_BASE_JSON_DEPTH_H_
