// The binary side of `quiver compare --group`: either the list form "A=A.h5,B=B.h5" or a
// group name looked up in a serve config, parsed (and fully validated) by quiver serve's
// own parser (src/serve/config.h):
//   models: [{name: A, model: A.h5, ...}, ...]
//   groups: [{name: binaries, members: [A, B]}, ...]
// Relative model paths resolve against the config file's folder. Thread-safe.
#ifndef QUIVER_MULTILABEL_GROUP_H_
#define QUIVER_MULTILABEL_GROUP_H_

#include <string>
#include <vector>

#include "quiver/classifier.h"
#include "quiver/status.h"

namespace quiver::multilabel {

struct GroupMember {
  std::string category;    // the category (= model name in a serve config)
  std::string model_path;
  // How the member is assembled: the model path alone, or the serve config entry's
  // settings (serve::classifier_options: tokenizer, labels, maxlen, padding, segmenter,
  // thresholds, weights, ...), so compare scores exactly what serve answers.
  ClassifierOptions options;
};

// "A=A.h5,B=B.h5" (a '=' in the text selects this form) or a group name in config_path.
// Errors (InvalidArgument / NotFound) name the config file and the key.
Result<std::vector<GroupMember>> resolve_group(const std::string& group,
                                               const std::string& config_path);

// "A=A.h5" -> {A, A.h5}; InvalidArgument naming `flag` otherwise.
Result<GroupMember> parse_member(const std::string& text, const std::string& flag);

}  // namespace quiver::multilabel

#endif  // QUIVER_MULTILABEL_GROUP_H_
