// A restricted unpickler: reads Python pickles (protocols 2-5) of plain data — None, bools,
// ints, floats, str, bytes, lists, tuples, sets, dicts, collections.OrderedDict and
// collections.defaultdict — and instances of an explicitly allowed list of classes, into a
// value tree. Nothing in the input is ever executed: a pickle names callables (GLOBAL /
// STACK_GLOBAL + REDUCE / NEWOBJ); every callable outside the fixed set above and the
// allowed classes is refused, as are extension codes, persistent ids and out-of-band
// buffers. An instance is recorded as its class name plus the state its BUILD opcode gave
// it (Python would set those attributes); no class code runs either way.
//
// Limits: input size, total container entries, MARK nesting and container nesting depth.
// The values may still form cycles through the memo, as Python objects can: consumers must
// not walk them recursively without a bound.
// Thread-safe: pure functions.
#ifndef QUIVER_TEXT_PICKLE_H_
#define QUIVER_TEXT_PICKLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quiver/status.h"

namespace quiver::text::pickle {

struct Value;
using Ref = Value*;  // owned by the Document

enum class Kind { kNone, kBool, kInt, kFloat, kStr, kBytes, kList, kTuple, kSet, kDict,
                  kClass, kObject };

struct Value {
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  // kStr: UTF-8 text; kBytes: raw bytes; kClass: "module.name"; kObject: its class's
  // "module.name"; kDict: "dict", "collections.OrderedDict" or "collections.defaultdict".
  std::string text;
  std::vector<Ref> items;                    // kList, kTuple, kSet
  std::vector<std::pair<Ref, Ref>> entries;  // kDict, in insertion order, keys unique
  Ref state = nullptr;                       // kObject: what BUILD set (a dict), or null
  int depth = 0;  // containers: 1 + the deepest item when it was added; scalars 0
};

// A loaded pickle: the values (which may share children and form cycles through the memo,
// as Python objects do) are owned here.
struct Document {
  std::vector<std::unique_ptr<Value>> values;
  const Value* root = nullptr;
};

// "NoneType", "int", "str", "dict", "collections.OrderedDict", ... for messages.
std::string type_name(const Value& v);

struct Limits {
  size_t max_bytes = size_t{1} << 30;     // input size
  size_t max_entries = size_t{1} << 25;   // container items + memo entries, in total
  int max_marks = 64;                     // open MARKs (nesting while building)
  int max_depth = 64;                     // container nesting
};

// True if `bytes` starts like a protocol 2-5 pickle (0x80, then the protocol number).
bool looks_like_pickle(std::string_view bytes);

// Loads the pickle. `allowed_classes` are the "module.name" classes that may be instantiated
// (NEWOBJ / NEWOBJ_EX with no arguments, or copyreg._reconstructor). `what` starts every
// message ("tokenizer pickle"). Errors: Corruption (truncated or malformed: the message
// names the byte offset), Unimplemented (a refused global, opcode or call: named),
// ResourceExhausted (a limit).
Result<Document> load(std::string_view bytes, const std::vector<std::string>& allowed_classes,
                 const std::string& what, const Limits& limits = {});

}  // namespace quiver::text::pickle

#endif  // QUIVER_TEXT_PICKLE_H_
