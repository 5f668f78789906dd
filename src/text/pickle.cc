// The restricted unpickler (pickle.h). Opcodes and their stack effects follow CPython's
// Lib/pickletools.py (the reference list of every opcode of protocols 0-5) and
// Lib/pickle.py's _Unpickler; the calls Python's own pickler emits for the allowed types
// are: OrderedDict / defaultdict -> REDUCE(cls, () or (factory,)) then SETITEMS
// (their __reduce__ returns the items iterator), an instance of a plain class ->
// NEWOBJ(cls, ()) then BUILD(state dict) (copyreg.__reduce_ex__ for protocol >= 2; NEWOBJ_EX
// when __getnewargs_ex__ exists), and copyreg._reconstructor(cls, object, None) for
// protocols 0/1 inside a protocol-2 stream.
#include "text/pickle.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>

#include "text/unicode.h"

namespace quiver::text::pickle {
namespace {

// Globals that are not allowed classes but may appear: what each stands for.
enum class Builtin { kOrderedDict, kDefaultDict, kIntType, kListType, kObjectType,
                     kReconstructor };

const std::map<std::string, Builtin, std::less<>>& builtins() {
  static const std::map<std::string, Builtin, std::less<>> kBuiltins = {
      {"collections.OrderedDict", Builtin::kOrderedDict},
      {"collections.defaultdict", Builtin::kDefaultDict},
      {"builtins.int", Builtin::kIntType},
      {"__builtin__.int", Builtin::kIntType},
      {"__builtin__.long", Builtin::kIntType},  // what Python 3 writes for int at protocol 2
      {"builtins.list", Builtin::kListType},
      {"__builtin__.list", Builtin::kListType},
      {"builtins.object", Builtin::kObjectType},
      {"__builtin__.object", Builtin::kObjectType},
      {"copyreg._reconstructor", Builtin::kReconstructor},
      {"copy_reg._reconstructor", Builtin::kReconstructor},
  };
  return kBuiltins;
}

// A hashable key's identity for dict semantics ("" for unhashable values).
std::string key_of(const Value& v) {
  switch (v.kind) {
    case Kind::kNone: return "N";
    case Kind::kBool: return v.boolean ? "i1" : "i0";  // True == 1 as a dict key
    case Kind::kInt: return "i" + std::to_string(v.integer);
    case Kind::kFloat: {
      // An integral float equals the int as a key (1.0 == 1); cast only inside int64's range
      // (casting 2.4e35 or NaN is undefined: found by fuzz_tokenizer_pickle).
      if (v.number >= -9223372036854775808.0 && v.number < 9223372036854775808.0 &&
          v.number == std::trunc(v.number))
        return "i" + std::to_string(static_cast<int64_t>(v.number));
      char buf[32];
      std::snprintf(buf, sizeof buf, "f%a", v.number);
      return buf;
    }
    case Kind::kStr: return "s" + v.text;
    case Kind::kBytes: return "b" + v.text;
    default: return "";
  }
}

class Unpickler {
 public:
  Unpickler(std::string_view in, const std::vector<std::string>& allowed, const std::string& what,
            const Limits& limits)
      : in_(in), allowed_(allowed), what_(what), limits_(limits) {}

  Result<Ref> run();
  Document take_document() { return std::move(doc_); }

 private:
  // Errors naming the offset of the current opcode.
  Status corrupt(const std::string& m) const {
    return corruption(what_ + ": byte " + std::to_string(op_at_) + ": " + m);
  }
  Status refuse(const std::string& m) const {
    return unimplemented(what_ + ": byte " + std::to_string(op_at_) + ": " + m +
                         " (only plain data and the allowed classes are read; nothing is run)");
  }
  Status too_big(const std::string& m) const {
    return resource_exhausted(what_ + ": byte " + std::to_string(op_at_) + ": " + m);
  }

  Result<std::string_view> take(uint64_t n) {
    if (n > in_.size() - pos_) return corrupt("truncated (needs " + std::to_string(n) + " bytes)");
    std::string_view s = in_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  template <typename T>
  Result<T> little() {  // little-endian fixed-size integer
    QUIVER_ASSIGN_OR_RETURN(std::string_view b, take(sizeof(T)));
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<T>(static_cast<T>(static_cast<uint8_t>(b[i])) << (8 * i));
    }
    return v;
  }
  Result<std::string_view> line() {
    const size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos) return corrupt("truncated (no end of line)");
    std::string_view s = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }

  Ref make(Kind kind) {
    doc_.values.push_back(std::make_unique<Value>());
    doc_.values.back()->kind = kind;
    return doc_.values.back().get();
  }

  Status push(Ref v) {
    if (stack_.size() >= limits_.max_entries) return too_big("stack too large");
    stack_.push_back(v);
    return Status();
  }
  Result<Ref> pop() {
    if (stack_.size() <= mark_floor()) return corrupt("stack underflow");
    Ref v = stack_.back();
    stack_.pop_back();
    return v;
  }
  size_t mark_floor() const { return marks_.empty() ? 0 : marks_.back(); }
  Result<std::vector<Ref>> pop_mark() {
    if (marks_.empty()) return corrupt("no MARK to pop to");
    const size_t at = marks_.back();
    marks_.pop_back();
    std::vector<Ref> items(stack_.begin() + static_cast<long>(at), stack_.end());
    stack_.resize(at);
    return items;
  }
  // Records that `items` went into container `c` (nesting depth).
  Status nest(Value& c, const std::vector<Ref>& items) {
    for (const Ref item : items) c.depth = std::max(c.depth, item->depth + 1);
    if (c.depth > limits_.max_depth) {
      return too_big("values nested deeper than " + std::to_string(limits_.max_depth) +
                     " levels");
    }
    return Status();
  }
  Status count(size_t n) {
    entries_ += n;
    if (entries_ > limits_.max_entries) {
      return too_big("more than " + std::to_string(limits_.max_entries) + " entries");
    }
    return Status();
  }

  Result<Ref> string_value(std::string_view bytes, bool utf8) {
    if (utf8 && find_invalid_utf8(bytes) != std::string_view::npos) {
      return corrupt("a str that is not valid UTF-8");
    }
    Ref v = make(utf8 ? Kind::kStr : Kind::kBytes);
    v->text = std::string(bytes);
    return v;
  }
  Result<Ref> int_value(int64_t i) {
    Ref v = make(Kind::kInt);
    v->integer = i;
    return v;
  }
  Result<Ref> long_value(std::string_view le);  // LONG1 / LONG4 two's complement
  Result<Ref> text_int(std::string_view s);      // INT / LONG text forms

  Status memo_put(uint64_t index) {
    if (stack_.size() <= mark_floor()) return corrupt("nothing to memoize");
    QUIVER_RETURN_IF_ERROR(count(1));
    memo_[index] = stack_.back();
    return Status();
  }
  Status memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return corrupt("memo entry " + std::to_string(index) + " is unset");
    return push(it->second);
  }

  Status set_items(Value& dict, std::vector<Ref>& kv);
  Status add_items(Value& container, std::vector<Ref>& items);
  Result<Ref> global(std::string module, std::string name);
  Result<Ref> call(const Ref& callable, const Ref& args);
  Result<Ref> new_object(const Ref& cls, const Ref& args);
  Status build();
  Status op(uint8_t code);

  std::string_view in_;
  const std::vector<std::string>& allowed_;
  const std::string& what_;
  Limits limits_;
  size_t pos_ = 0, op_at_ = 0, entries_ = 0;
  std::vector<Ref> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Ref> memo_;
  // Per dict: key identity -> position in entries (dict semantics for repeated keys).
  std::unordered_map<const Value*, std::unordered_map<std::string, size_t>> dict_index_;
  Document doc_;
  bool stopped_ = false;
};

Result<Ref> Unpickler::long_value(std::string_view le) {
  if (le.size() > 8) return refuse("an integer wider than 64 bits");
  uint64_t u = 0;
  for (size_t i = 0; i < le.size(); ++i) u |= uint64_t{static_cast<uint8_t>(le[i])} << (8 * i);
  if (!le.empty() && le.size() < 8 && (static_cast<uint8_t>(le.back()) & 0x80)) {
    u |= ~uint64_t{0} << (8 * le.size());  // sign-extend
  }
  return int_value(std::bit_cast<int64_t>(u));
}

Result<Ref> Unpickler::text_int(std::string_view s) {
  if (!s.empty() && s.back() == 'L') s.remove_suffix(1);  // Python 2 long
  if (s == "01" || s == "00") {  // INT's True / False
    Ref v = make(Kind::kBool);
    v->boolean = s == "01";
    return v;
  }
  int64_t v = 0;
  const char* first = s.data() + (!s.empty() && s[0] == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(first, s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || first == end) {
    return corrupt("bad integer literal");
  }
  return int_value(v);
}

Status Unpickler::set_items(Value& dict, std::vector<Ref>& kv) {
  if (dict.kind != Kind::kDict) return refuse("SETITEM(S) on a " + type_name(dict));
  if (kv.size() % 2) return corrupt("SETITEMS with an odd number of values");
  QUIVER_RETURN_IF_ERROR(count(kv.size() / 2));
  QUIVER_RETURN_IF_ERROR(nest(dict, kv));
  // Dict semantics: a repeated key replaces the value in its first position.
  std::unordered_map<std::string, size_t>& at = dict_index_[&dict];
  for (size_t i = 0; i < kv.size(); i += 2) {
    const std::string key = key_of(*kv[i]);
    if (key.empty()) return refuse("a dict key of type " + type_name(*kv[i]));
    auto [it, fresh] = at.emplace(key, dict.entries.size());
    if (fresh) {
      dict.entries.emplace_back(kv[i], kv[i + 1]);
    } else {
      dict.entries[it->second].second = kv[i + 1];
    }
  }
  return Status();
}

Status Unpickler::add_items(Value& c, std::vector<Ref>& items) {
  if (c.kind != Kind::kList && c.kind != Kind::kSet) return refuse("adding items to a " + type_name(c));
  QUIVER_RETURN_IF_ERROR(count(items.size()));
  QUIVER_RETURN_IF_ERROR(nest(c, items));
  c.items.insert(c.items.end(), items.begin(), items.end());
  return Status();
}

Result<Ref> Unpickler::global(std::string module, std::string name) {
  const std::string full = module + "." + name;
  if (builtins().count(full) ||
      std::find(allowed_.begin(), allowed_.end(), full) != allowed_.end()) {
    Ref v = make(Kind::kClass);
    v->text = full;
    return v;
  }
  return refuse("global '" + full + "' is not allowed");
}

Result<Ref> Unpickler::new_object(const Ref& cls, const Ref& args) {
  if (cls->kind != Kind::kClass ||
      std::find(allowed_.begin(), allowed_.end(), cls->text) == allowed_.end()) {
    return refuse("creating a " + (cls->kind == Kind::kClass ? cls->text : type_name(*cls)));
  }
  if (args->kind != Kind::kTuple || !args->items.empty()) {
    return refuse("creating a " + cls->text + " with arguments");
  }
  Ref v = make(Kind::kObject);
  v->text = cls->text;
  return v;
}

Result<Ref> Unpickler::call(const Ref& callable, const Ref& args) {
  if (callable->kind != Kind::kClass) return refuse("calling a " + type_name(*callable));
  if (args->kind != Kind::kTuple) return corrupt("REDUCE arguments are not a tuple");
  auto it = builtins().find(callable->text);
  const std::vector<Ref>& a = args->items;
  if (it != builtins().end() && it->second == Builtin::kOrderedDict && a.size() <= 1) {
    Ref d = make(Kind::kDict);
    d->text = "collections.OrderedDict";
    if (a.empty()) return d;
    std::vector<Ref> kv;
    if (a[0]->kind != Kind::kList && a[0]->kind != Kind::kTuple) {
      return refuse("OrderedDict of a " + type_name(*a[0]));
    }
    for (const Ref& pair : a[0]->items) {
      if ((pair->kind != Kind::kTuple && pair->kind != Kind::kList) || pair->items.size() != 2) {
        return refuse("OrderedDict of items that are not pairs");
      }
      kv.push_back(pair->items[0]);
      kv.push_back(pair->items[1]);
    }
    QUIVER_RETURN_IF_ERROR(set_items(*d, kv));
    return d;
  }
  if (it != builtins().end() && it->second == Builtin::kDefaultDict && a.size() <= 1) {
    if (!a.empty() && a[0]->kind != Kind::kNone &&
        !(a[0]->kind == Kind::kClass && builtins().count(a[0]->text) &&
          (builtins().at(a[0]->text) == Builtin::kIntType ||
           builtins().at(a[0]->text) == Builtin::kListType))) {
      return refuse("defaultdict with factory " +
                    (a[0]->kind == Kind::kClass ? a[0]->text : type_name(*a[0])));
    }
    Ref d = make(Kind::kDict);
    d->text = "collections.defaultdict";
    return d;
  }
  if (it != builtins().end() && it->second == Builtin::kReconstructor && a.size() == 3 &&
      a[1]->kind == Kind::kClass && builtins().count(a[1]->text) &&
      builtins().at(a[1]->text) == Builtin::kObjectType && a[2]->kind == Kind::kNone) {
    return new_object(a[0], make(Kind::kTuple));
  }
  return refuse("calling " + callable->text + " with " + std::to_string(a.size()) +
                " arguments");
}

Status Unpickler::build() {
  QUIVER_ASSIGN_OR_RETURN(Ref state, pop());
  QUIVER_ASSIGN_OR_RETURN(Ref obj, pop());
  QUIVER_RETURN_IF_ERROR(push(obj));
  if (obj->kind != Kind::kObject) return refuse("setting the state of a " + type_name(*obj));
  // (state, slotstate): Python sets both; a plain class has no slots.
  if (state->kind == Kind::kTuple && state->items.size() == 2 &&
      state->items[1]->kind == Kind::kNone) {
    state = state->items[0];
  }
  if (state->kind != Kind::kDict) return refuse("an object state of type " + type_name(*state));
  if (!obj->state) {
    obj->state = state;
    return Status();
  }
  std::vector<Ref> kv;  // a second BUILD updates the attributes
  for (auto& [k, v] : state->entries) {
    kv.push_back(k);
    kv.push_back(v);
  }
  return set_items(*obj->state, kv);
}

}  // namespace

std::string type_name(const Value& v) {
  switch (v.kind) {
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kStr: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kTuple: return "tuple";
    case Kind::kSet: return "set";
    case Kind::kDict: return v.text;
    case Kind::kClass: return "class " + v.text;
    case Kind::kObject: return v.text;
  }
  return "?";
}

bool looks_like_pickle(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x80 &&
         bytes[1] >= 2 && bytes[1] <= 5;
}

namespace {

// One opcode (pickletools.py names). `code` has been read; its arguments follow at pos_.
Status Unpickler::op(uint8_t code) {
  switch (code) {
    case 0x80: {  // PROTO
      QUIVER_ASSIGN_OR_RETURN(uint8_t proto, little<uint8_t>());
      if (proto > 5) return refuse("pickle protocol " + std::to_string(proto));
      return Status();
    }
    case 0x95: return take(8).status();  // FRAME: a length hint
    case '.': stopped_ = true; return Status();  // STOP
    case '(':  // MARK
      if (static_cast<int>(marks_.size()) >= limits_.max_marks) {
        return too_big("more than " + std::to_string(limits_.max_marks) + " nested MARKs");
      }
      marks_.push_back(stack_.size());
      return Status();
    case '0': return pop().status();  // POP
    case '1': return pop_mark().status();  // POP_MARK
    case '2': {  // DUP
      if (stack_.size() <= mark_floor()) return corrupt("stack underflow");
      return push(stack_.back());
    }
    case 'N': return push(make(Kind::kNone));
    case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
      Ref v = make(Kind::kBool);
      v->boolean = code == 0x88;
      return push(v);
    }
    case 'J': { QUIVER_ASSIGN_OR_RETURN(uint32_t u, little<uint32_t>());  // BININT
                QUIVER_ASSIGN_OR_RETURN(Ref v, int_value(std::bit_cast<int32_t>(u))); return push(v); }
    case 'K': { QUIVER_ASSIGN_OR_RETURN(uint8_t u, little<uint8_t>());  // BININT1
                QUIVER_ASSIGN_OR_RETURN(Ref v, int_value(u)); return push(v); }
    case 'M': { QUIVER_ASSIGN_OR_RETURN(uint16_t u, little<uint16_t>());  // BININT2
                QUIVER_ASSIGN_OR_RETURN(Ref v, int_value(u)); return push(v); }
    case 0x8a: case 0x8b: {  // LONG1, LONG4
      uint64_t n = 0;
      if (code == 0x8a) { QUIVER_ASSIGN_OR_RETURN(uint8_t b, little<uint8_t>()); n = b; }
      else { QUIVER_ASSIGN_OR_RETURN(uint32_t b, little<uint32_t>()); n = b; }
      QUIVER_ASSIGN_OR_RETURN(std::string_view le, take(n));
      QUIVER_ASSIGN_OR_RETURN(Ref v, long_value(le));
      return push(v);
    }
    case 'I': case 'L': {  // INT, LONG (text)
      QUIVER_ASSIGN_OR_RETURN(std::string_view s, line());
      QUIVER_ASSIGN_OR_RETURN(Ref v, text_int(s));
      return push(v);
    }
    case 'G': {  // BINFLOAT: big-endian double
      QUIVER_ASSIGN_OR_RETURN(std::string_view b, take(8));
      uint64_t u = 0;
      for (char c : b) u = (u << 8) | static_cast<uint8_t>(c);
      Ref v = make(Kind::kFloat);
      v->number = std::bit_cast<double>(u);
      return push(v);
    }
    case 'F': {  // FLOAT (text)
      QUIVER_ASSIGN_OR_RETURN(std::string_view s, line());
      Ref v = make(Kind::kFloat);
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v->number);
      if (ec != std::errc() || end != s.data() + s.size()) return corrupt("bad float literal");
      return push(v);
    }
    case 'X': case 0x8c: case 0x8d:  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
    case 'B': case 'C': case 0x8e: case 0x96: {  // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
      uint64_t n = 0;
      if (code == 0x8c || code == 'C') { QUIVER_ASSIGN_OR_RETURN(uint8_t b, little<uint8_t>()); n = b; }
      else if (code == 'X' || code == 'B') { QUIVER_ASSIGN_OR_RETURN(uint32_t b, little<uint32_t>()); n = b; }
      else { QUIVER_ASSIGN_OR_RETURN(n, little<uint64_t>()); }
      QUIVER_ASSIGN_OR_RETURN(std::string_view b, take(n));
      QUIVER_ASSIGN_OR_RETURN(Ref v, string_value(b, code == 'X' || code == 0x8c || code == 0x8d));
      return push(v);
    }
    case ']': return push(make(Kind::kList));   // EMPTY_LIST
    case ')': return push(make(Kind::kTuple));  // EMPTY_TUPLE
    case '}': { Ref d = make(Kind::kDict); d->text = "dict"; return push(d); }  // EMPTY_DICT
    case 0x8f: return push(make(Kind::kSet));   // EMPTY_SET
    case 'l': case 't': case 0x91: {  // LIST, TUPLE, FROZENSET (from MARK)
      QUIVER_ASSIGN_OR_RETURN(std::vector<Ref> items, pop_mark());
      QUIVER_RETURN_IF_ERROR(count(items.size()));
      Ref v = make(code == 'l' ? Kind::kList : code == 't' ? Kind::kTuple : Kind::kSet);
      QUIVER_RETURN_IF_ERROR(nest(*v, items));
      v->items = std::move(items);
      return push(v);
    }
    case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
      const size_t n = code - 0x84u;
      if (stack_.size() < mark_floor() + n) return corrupt("stack underflow");
      QUIVER_RETURN_IF_ERROR(count(n));
      Ref v = make(Kind::kTuple);
      v->items.assign(stack_.end() - static_cast<long>(n), stack_.end());
      QUIVER_RETURN_IF_ERROR(nest(*v, v->items));
      stack_.resize(stack_.size() - n);
      return push(v);
    }
    case 'd': {  // DICT (from MARK)
      QUIVER_ASSIGN_OR_RETURN(std::vector<Ref> kv, pop_mark());
      Ref d = make(Kind::kDict);
      d->text = "dict";
      QUIVER_RETURN_IF_ERROR(set_items(*d, kv));
      return push(d);
    }
    case 'a': {  // APPEND
      QUIVER_ASSIGN_OR_RETURN(Ref v, pop());
      if (stack_.size() <= mark_floor()) return corrupt("stack underflow");
      std::vector<Ref> one{v};
      return add_items(*stack_.back(), one);
    }
    case 'e': case 0x90: {  // APPENDS, ADDITEMS
      QUIVER_ASSIGN_OR_RETURN(std::vector<Ref> items, pop_mark());
      if (stack_.size() <= mark_floor()) return corrupt("stack underflow");
      return add_items(*stack_.back(), items);
    }
    case 's': {  // SETITEM
      QUIVER_ASSIGN_OR_RETURN(Ref v, pop());
      QUIVER_ASSIGN_OR_RETURN(Ref k, pop());
      if (stack_.size() <= mark_floor()) return corrupt("stack underflow");
      std::vector<Ref> kv{k, v};
      return set_items(*stack_.back(), kv);
    }
    case 'u': {  // SETITEMS
      QUIVER_ASSIGN_OR_RETURN(std::vector<Ref> kv, pop_mark());
      if (stack_.size() <= mark_floor()) return corrupt("stack underflow");
      return set_items(*stack_.back(), kv);
    }
    case 'p': { QUIVER_ASSIGN_OR_RETURN(std::string_view s, line());  // PUT
                QUIVER_ASSIGN_OR_RETURN(Ref i, text_int(s));
                if (i->kind != Kind::kInt || i->integer < 0) return corrupt("bad memo index");
                return memo_put(static_cast<uint64_t>(i->integer)); }
    case 'q': { QUIVER_ASSIGN_OR_RETURN(uint8_t i, little<uint8_t>()); return memo_put(i); }
    case 'r': { QUIVER_ASSIGN_OR_RETURN(uint32_t i, little<uint32_t>()); return memo_put(i); }
    case 0x94: return memo_put(memo_.size());  // MEMOIZE
    case 'g': { QUIVER_ASSIGN_OR_RETURN(std::string_view s, line());  // GET
                QUIVER_ASSIGN_OR_RETURN(Ref i, text_int(s));
                if (i->kind != Kind::kInt || i->integer < 0) return corrupt("bad memo index");
                return memo_get(static_cast<uint64_t>(i->integer)); }
    case 'h': { QUIVER_ASSIGN_OR_RETURN(uint8_t i, little<uint8_t>()); return memo_get(i); }
    case 'j': { QUIVER_ASSIGN_OR_RETURN(uint32_t i, little<uint32_t>()); return memo_get(i); }
    case 'c': {  // GLOBAL "module\nname\n"
      QUIVER_ASSIGN_OR_RETURN(std::string_view module, line());
      QUIVER_ASSIGN_OR_RETURN(std::string_view name, line());
      QUIVER_ASSIGN_OR_RETURN(Ref g, global(std::string(module), std::string(name)));
      return push(g);
    }
    case 0x93: {  // STACK_GLOBAL
      QUIVER_ASSIGN_OR_RETURN(Ref name, pop());
      QUIVER_ASSIGN_OR_RETURN(Ref module, pop());
      if (module->kind != Kind::kStr || name->kind != Kind::kStr) {
        return corrupt("STACK_GLOBAL of non-strings");
      }
      QUIVER_ASSIGN_OR_RETURN(Ref g, global(module->text, name->text));
      return push(g);
    }
    case 'R': {  // REDUCE
      QUIVER_ASSIGN_OR_RETURN(Ref args, pop());
      QUIVER_ASSIGN_OR_RETURN(Ref callable, pop());
      QUIVER_ASSIGN_OR_RETURN(Ref v, call(callable, args));
      return push(v);
    }
    case 0x81: case 0x92: {  // NEWOBJ, NEWOBJ_EX
      if (code == 0x92) {
        QUIVER_ASSIGN_OR_RETURN(Ref kwargs, pop());
        if (kwargs->kind != Kind::kDict || !kwargs->entries.empty()) {
          return refuse("creating an object with keyword arguments");
        }
      }
      QUIVER_ASSIGN_OR_RETURN(Ref args, pop());
      QUIVER_ASSIGN_OR_RETURN(Ref cls, pop());
      QUIVER_ASSIGN_OR_RETURN(Ref v, new_object(cls, args));
      return push(v);
    }
    case 'b': return build();  // BUILD
    default: break;
  }
  static const std::map<uint8_t, const char*> kRefused = {
      {'P', "PERSID"}, {'Q', "BINPERSID"}, {'i', "INST"}, {'o', "OBJ"}, {0x82, "EXT1"},
      {0x83, "EXT2"}, {0x84, "EXT4"}, {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"},
      {'S', "STRING"}, {'T', "BINSTRING"}, {'U', "SHORT_BINSTRING"}, {'V', "UNICODE"}};
  auto it = kRefused.find(code);
  if (it != kRefused.end()) return refuse(std::string("opcode ") + it->second);
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", code);
  return corrupt(std::string("unknown opcode ") + hex);
}

Result<Ref> Unpickler::run() {
  if (in_.size() > limits_.max_bytes) {
    return resource_exhausted(what_ + ": " + std::to_string(in_.size()) +
                              " bytes exceeds the limit of " + std::to_string(limits_.max_bytes));
  }
  while (!stopped_) {
    op_at_ = pos_;
    if (pos_ >= in_.size()) return corrupt("truncated (no STOP opcode)");
    QUIVER_RETURN_IF_ERROR(op(static_cast<uint8_t>(in_[pos_++])));
  }
  if (stack_.size() != 1 || !marks_.empty()) return corrupt("STOP with " + std::to_string(stack_.size()) + " values on the stack");
  return stack_.back();
}

}  // namespace

Result<Document> load(std::string_view bytes, const std::vector<std::string>& allowed_classes,
                 const std::string& what, const Limits& limits) {
  try {
    Unpickler u(bytes, allowed_classes, what, limits);
    QUIVER_ASSIGN_OR_RETURN(Ref root, u.run());
    Document doc = u.take_document();
    doc.root = root;
    return doc;
  } catch (const std::bad_alloc&) {
    return resource_exhausted(what + ": out of memory");
  }
}

}  // namespace quiver::text::pickle
