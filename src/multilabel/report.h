// Renderings of a Comparison: a text table (stdout), JSON (--json) and one self-contained
// HTML page (--html: inline CSS, SVG drawn by inline JavaScript from embedded JSON, no
// network). Pure functions, thread-safe.
#ifndef QUIVER_MULTILABEL_REPORT_H_
#define QUIVER_MULTILABEL_REPORT_H_

#include <string>

#include <nlohmann/json.hpp>

#include "multilabel/compare.h"

namespace quiver::multilabel {

std::string comparison_text(const Comparison& c);

// Everything but the per-row scores; with_scores adds them (the HTML page's data).
nlohmann::json comparison_json(const Comparison& c, bool with_scores = false);

// When the page's script has drawn every plot it sets data-report="ok" on <body> (and
// data-report="error: ..." if it failed), which tests read from the rendered DOM. Larger
// corpora are subsampled evenly to max_points rows per scatter, plus up to max_points rows
// where the sides disagree.
std::string comparison_html(const Comparison& c, int max_points = 3000);

}  // namespace quiver::multilabel

#endif  // QUIVER_MULTILABEL_REPORT_H_
