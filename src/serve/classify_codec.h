// What /v1/classify answers and reads, shared by the single-model path
// (routes_classify.cc) and the group path (routes_group.cc).
//
// Per category of a group the answer has the shape of a binary model's result:
//   binary member    {"label": <its label>, "scores": {<its labels>: p, ...}}  (as alone)
//   multi-label      {"label": labels[p > threshold], "scores": {labels[0]: 1 - p,
//                     labels[1]: p}}  with labels = the group's `labels` (default no, yes)
// and the category's decision (for shadow comparisons) is "the positive label won":
// a binary member's last label has the highest score (or is above its threshold when
// the member has thresholds), a multi-label category's p is above its threshold.
//
// Thread-safety: stateless functions.
#ifndef QUIVER_SERVE_CLASSIFY_CODEC_H_
#define QUIVER_SERVE_CLASSIFY_CODEC_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quiver/status.h"
#include "serve/servable.h"
#include "serve/service.h"

namespace quiver::serve {

struct ClassifyRequest {
  bool by_category = false;             // one model (category), else a group
  std::string category;
  std::string group;                    // "" = the default group (when category is "")
  std::vector<std::string> categories;  // a subset of the group's; empty = all
  std::vector<std::string> sentences;
  bool return_ids = false;
};

// Reads and checks a /v1/classify body. InvalidArgument names the field.
Status read_classify_request(const nlohmann::json& body, ClassifyRequest& req);

// "known_tokens":N (Classifier::encode's count for one text).
void append_known_tokens(std::string& out, int64_t known_tokens);
// "ids":[...] for one padded row.
void append_ids(std::string& out, const int32_t* ids, int64_t n);
// One model's result for one row: {"label", ["labels",] "scores"} without the closing
// brace, so that callers may add fields.
void append_result(std::string& out, const Servable& s, const float* row);

// Column `column` of a multi-label model's row as a binary result (see above), also
// without the closing brace.
void append_category_result(std::string& out, const Servable& s, const float* row,
                            int64_t column, const std::vector<std::string>& labels);

// The category decision (see above): binary member when column < 0.
bool category_decision(const Servable& s, const float* row, int64_t column);

// Answers a group request (req.category empty); routes_group.cc.
void classify_group(Service& service, const ClassifyRequest& req, const Responder& respond);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_CLASSIFY_CODEC_H_
