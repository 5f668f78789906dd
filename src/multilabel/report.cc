#include "multilabel/report.h"

#include <cstdio>

namespace quiver::multilabel {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// One line of at most max_bytes (cut at a UTF-8 boundary), control characters as spaces.
std::string shorten(std::string s, size_t max_bytes) {
  for (char& ch : s) {
    if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
  }
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  return s.substr(0, cut) + "...";
}

nlohmann::json metrics_json(const BinaryMetrics& m) {
  return {{"accuracy", m.accuracy}, {"precision", m.precision}, {"recall", m.recall}, {"f1", m.f1},
          {"tp", m.tp}, {"fp", m.fp}, {"fn", m.fn}, {"tn", m.tn}};
}

nlohmann::json category_json(const CategoryComparison& c, bool with_scores) {
  const Agreement& a = c.agreement;
  nlohmann::json j = {
      {"category", c.category}, {"binary_model", c.binary_model},
      {"binary_threshold", c.binary_threshold}, {"multilabel_threshold", c.multilabel_threshold},
      {"agreement", a.rate}, {"kappa", a.kappa},
      {"confusion", {{"both_yes", a.both_yes}, {"binary_only", a.a_only},
                     {"multilabel_only", a.b_only}, {"both_no", a.both_no}}},
      {"labelled_rows", c.labelled_rows}, {"binary_seconds", c.binary_seconds}};
  if (c.labelled_rows > 0) {
    j["binary_vs_labels"] = metrics_json(c.binary_vs_truth);
    j["multilabel_vs_labels"] = metrics_json(c.multilabel_vs_truth);
  }
  nlohmann::json top = nlohmann::json::array();
  for (const auto& d : c.top) {
    top.push_back({{"row", d.row}, {"text", d.text}, {"binary_score", d.binary_score},
                   {"multilabel_score", d.multilabel_score}});
  }
  j["disagreements"] = top;
  if (with_scores) {
    j["binary_scores"] = c.binary_scores;
    j["multilabel_scores"] = c.multilabel_scores;
    j["truth"] = c.truth;
  }
  return j;
}

}  // namespace

nlohmann::json comparison_json(const Comparison& c, bool with_scores) {
  nlohmann::json cats = nlohmann::json::array();
  for (const auto& cc : c.categories) cats.push_back(category_json(cc, with_scores));
  return {{"model", c.model_path}, {"data", c.data_path}, {"rows", c.rows},
          {"categories", cats}, {"only_binary", c.only_binary},
          {"only_multilabel", c.only_multilabel},
          {"throughput", {{"binary_group_sentences_per_second", c.binary_per_second},
                          {"multilabel_sentences_per_second", c.multilabel_per_second},
                          {"binary_group_seconds", c.binary_seconds},
                          {"multilabel_seconds", c.multilabel_seconds}}}};
}

namespace {

std::string not_compared_text(const Comparison& c) {
  // Only the sides that lack something, names listed plainly: never "[] only in the group".
  auto names = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& n : v) s += (s.empty() ? "" : ", ") + n;
    return s;
  };
  std::string parts;
  if (!c.only_binary.empty()) parts = names(c.only_binary) + " (only in the group)";
  if (!c.only_multilabel.empty()) {
    parts += (parts.empty() ? "" : "; ") + names(c.only_multilabel) + " (only in the multi-label model)";
  }
  return parts.empty() ? "" : "not compared: " + parts + "\n";
}

}  // namespace

std::string comparison_text(const Comparison& c) {
  std::string out = "compare: " + std::to_string(c.rows) + " sentences, binary group vs " + c.model_path + "\n";
  char line[320];
  std::snprintf(line, sizeof line, "%-14s %6s %6s %6s %6s %6s %6s %6s %7s %7s %7s %7s\n", "category",
                "agree", "kappa", "yy", "b-only", "m-only", "nn", "m-thr", "b-acc", "m-acc", "b-F1", "m-F1");
  out += line;
  for (const auto& cc : c.categories) {
    const Agreement& a = cc.agreement;
    const bool lab = cc.labelled_rows > 0;
    auto opt = [&](double v) { return lab ? fmt("%7.4f", v) : std::string("      -"); };
    std::snprintf(line, sizeof line, "%-14s %6.4f %6.3f %6lld %6lld %6lld %6lld %6.3f %s %s %s %s\n",
                  shorten(cc.category, 14).c_str(), a.rate, a.kappa, static_cast<long long>(a.both_yes),
                  static_cast<long long>(a.a_only), static_cast<long long>(a.b_only),
                  static_cast<long long>(a.both_no), cc.multilabel_threshold,
                  opt(cc.binary_vs_truth.accuracy).c_str(), opt(cc.multilabel_vs_truth.accuracy).c_str(),
                  opt(cc.binary_vs_truth.f1).c_str(), opt(cc.multilabel_vs_truth.f1).c_str());
    out += line;
  }
  out += "(yy: both say yes; b-only / m-only: only the binary / multi-label model says yes; "
         "nn: both say no; m-thr: multi-label threshold; acc / F1 against the corpus labels)\n";
  std::snprintf(line, sizeof line,
                "throughput: binary group %.1f sentences/s (%.3f s, every member), multi-label %.1f "
                "sentences/s (%.3f s)\n",
                c.binary_per_second, c.binary_seconds, c.multilabel_per_second, c.multilabel_seconds);
  out += line;
  for (const auto& cc : c.categories) {
    if (cc.top.empty()) continue;
    out += "most disagreement, " + cc.category + " (binary score / multi-label score):\n";
    for (const auto& d : cc.top) {
      std::snprintf(line, sizeof line, "  %6.3f / %6.3f  row %lld: ", d.binary_score, d.multilabel_score,
                    static_cast<long long>(d.row + 1));
      out += line + shorten(d.text, 100) + "\n";
    }
  }
  out += not_compared_text(c);
  return out;
}

}  // namespace quiver::multilabel
