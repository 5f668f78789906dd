// include/quiver/evaluate.h: the public form of train::evaluate_model (what `quiver evaluate`
// runs), for embedders such as the Python module.
#include "quiver/evaluate.h"

#include "train/evaluate.h"

namespace quiver {

Result<Evaluation> evaluate(const std::string& model_path, const std::string& csv_path,
                            const EvaluateOptions& options) {
  train::EvalOptions o;
  o.text_column = options.text_column;
  o.label_column = options.label_column;
  o.label_columns = options.label_columns;
  o.skip_bad_rows = options.skip_bad_rows;
  o.tokenizer_path = options.tokenizer_path;
  o.segmenter = options.segmenter;
  o.user_dict = options.user_dict;
  o.weights = options.weights;
  o.memory_policy = options.memory_policy;
  o.memory_budget_bytes = options.memory_budget_bytes;
  o.threads = options.threads;
  QUIVER_ASSIGN_OR_RETURN(train::EvalResult r, train::evaluate_model(model_path, csv_path, o));
  const train::EvalMetrics& m = r.metrics;
  Evaluation e;
  e.task = r.task;
  e.rows = m.rows;
  e.skipped_rows = r.skipped_rows;
  e.multi_label = m.multi_label;
  e.accuracy = m.accuracy;
  e.macro_f1 = m.macro_f1;
  for (const auto& c : m.classes) e.classes.push_back({c.label, c.precision, c.recall, c.f1, c.support});
  e.confusion = m.confusion;
  e.has_auc = m.has_auc;
  e.roc_auc = m.roc_auc;
  e.exact_match = m.exact_match;
  return e;
}

}  // namespace quiver
