// Python jieba 0.42.1 finalseg: table loading and Viterbi (finalseg/__init__.py).
#include "text/jieba_hmm.h"

#include <cstdlib>
#include <utility>

#include "base/file.h"

namespace quiver::text {
namespace {

// A value of the tables' Python literals: a float or a dict with str keys.
struct PyValue {
  bool is_dict = false;
  double number = 0;
  std::vector<std::u32string> keys;  // parallel to values (a std::pair of the incomplete
  std::vector<PyValue> values;       // PyValue would not compile with libc++/clang)
};

// Recursive-descent reader for the subset of Python literal syntax prob_*.py use:
// {'key': value, ...}, floats, and '...' / "..." strings with \u, \U, \x escapes.
class PyLiteralReader {
 public:
  explicit PyLiteralReader(std::string text) : text_(std::move(text)), s_(text_) {}

  Status read_assignment(PyValue* out) {  // skips to "P=" at a line start
    if (s_.size() >= 2 && s_[0] == 'P' && s_[1] == '=') {
      pos_ = 2;
    } else {
      size_t at = s_.find("\nP=");
      if (at == std::string_view::npos) return error("no 'P=' assignment");
      pos_ = at + 3;
    }
    return read_value(out, 0);
  }

 private:
  Status error(const std::string& what) const {
    return corruption("offset " + std::to_string(pos_) + ": " + what);
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' ||
                                s_[pos_] == '\t'))
      ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) return ++pos_, true;
    return false;
  }

  Status read_value(PyValue* out, int depth) {
    if (depth > 4) return error("nesting too deep");
    if (eat('{')) return read_dict(out, depth);
    skip_space();
    size_t from = pos_;
    while (pos_ < s_.size() && std::string_view("+-.0123456789eE").find(s_[pos_]) !=
                                   std::string_view::npos)
      ++pos_;
    std::string num(s_.substr(from, pos_ - from));
    char* end = nullptr;
    out->number = std::strtod(num.c_str(), &end);
    if (num.empty() || end != num.c_str() + num.size()) return error("expected a number");
    return Status();
  }

  Status read_dict(PyValue* out, int depth) {
    out->is_dict = true;
    while (!eat('}')) {
      std::u32string key;
      QUIVER_RETURN_IF_ERROR(read_string(&key));
      if (!eat(':')) return error("expected ':'");
      PyValue value;
      QUIVER_RETURN_IF_ERROR(read_value(&value, depth + 1));
      out->keys.push_back(std::move(key));
      out->values.push_back(std::move(value));
      if (!eat(',')) {
        if (!eat('}')) return error("expected ',' or '}'");
        break;
      }
    }
    return Status();
  }

  Status read_hex(size_t digits, char32_t* out) {
    if (pos_ + digits > s_.size()) return error("truncated escape");
    std::string hex(s_.substr(pos_, digits));
    char* end = nullptr;
    *out = static_cast<char32_t>(std::strtoul(hex.c_str(), &end, 16));
    if (end != hex.c_str() + digits) return error("bad escape");
    pos_ += digits;
    return Status();
  }

  Status read_string(std::u32string* out) {
    skip_space();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"'))
      return error("expected a string");
    char quote = s_[pos_++];
    while (pos_ < s_.size() && s_[pos_] != quote) {
      char32_t c;
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) {
        char kind = s_[pos_ + 1];
        pos_ += 2;
        if (kind == 'u') QUIVER_RETURN_IF_ERROR(read_hex(4, &c));
        else if (kind == 'U') QUIVER_RETURN_IF_ERROR(read_hex(8, &c));
        else if (kind == 'x') QUIVER_RETURN_IF_ERROR(read_hex(2, &c));
        else if (kind == 'n') c = '\n';
        else if (kind == 't') c = '\t';
        else c = static_cast<unsigned char>(kind);  // \\ \' \"
      } else {
        Runes one;
        size_t n = 1;
        while (pos_ + n < s_.size() && (static_cast<uint8_t>(s_[pos_ + n]) & 0xC0) == 0x80) ++n;
        if (!decode_runes(s_.substr(pos_, n), &one).ok()) return error("invalid UTF-8");
        c = one[0].rune;
        pos_ += n;
      }
      out->push_back(c);
    }
    if (pos_ >= s_.size()) return error("unterminated string");
    ++pos_;
    return Status();
  }

  std::string text_;
  std::string_view s_;
  size_t pos_ = 0;
};

Result<PyValue> read_table(const std::string& path) {
  QUIVER_ASSIGN_OR_RETURN(std::string text, base::read_file(path));
  PyValue value;
  PyLiteralReader reader(std::move(text));
  Status s = reader.read_assignment(&value);
  if (!s.ok()) return s.with_context(path);
  if (!value.is_dict) return corruption(path + ": P is not a dict");
  return value;
}

// 'B','E','M','S' -> State; -1 otherwise.
int state_of(const std::u32string& key) {
  if (key.size() != 1) return -1;
  switch (key[0]) {
    case 'B': return JiebaHmm::kB;
    case 'E': return JiebaHmm::kE;
    case 'M': return JiebaHmm::kM;
    case 'S': return JiebaHmm::kS;
    default: return -1;
  }
}

// Calls fn(state, value) for each item of a dict keyed by states.
template <typename F>
Status for_each_state(const PyValue& dict, const std::string& path, F&& fn) {
  for (size_t i = 0; i < dict.keys.size(); ++i) {
    int state = state_of(dict.keys[i]);
    if (state < 0) return corruption(path + ": key is not one of B, E, M, S");
    QUIVER_RETURN_IF_ERROR(fn(state, dict.values[i]));
  }
  return Status();
}

}  // namespace

Result<JiebaHmm> JiebaHmm::load(const std::string& finalseg_dir) {
  JiebaHmm hmm;
  const std::string start_path = finalseg_dir + "/prob_start.py";
  const std::string trans_path = finalseg_dir + "/prob_trans.py";
  const std::string emit_path = finalseg_dir + "/prob_emit.py";
  QUIVER_ASSIGN_OR_RETURN(PyValue start, read_table(start_path));
  QUIVER_ASSIGN_OR_RETURN(PyValue trans, read_table(trans_path));
  QUIVER_ASSIGN_OR_RETURN(PyValue emit, read_table(emit_path));
  std::array<bool, 4> has_start{};
  QUIVER_RETURN_IF_ERROR(for_each_state(start, start_path, [&](int s, const PyValue& v) {
    if (v.is_dict) return corruption(start_path + ": expected numbers");
    hmm.start_[s] = v.number;
    has_start[s] = true;
    return Status();
  }));
  for (bool has : has_start)
    if (!has) return corruption(start_path + ": a state is missing");
  for (auto& row : hmm.trans_) row.fill(kMinFloat);  // trans_p[y0].get(y, MIN_FLOAT)
  QUIVER_RETURN_IF_ERROR(for_each_state(trans, trans_path, [&](int from, const PyValue& row) {
    if (!row.is_dict) return corruption(trans_path + ": expected a dict per state");
    return for_each_state(row, trans_path, [&](int to, const PyValue& v) {
      if (v.is_dict) return corruption(trans_path + ": expected numbers");
      hmm.trans_[from][to] = v.number;
      return Status();
    });
  }));
  QUIVER_RETURN_IF_ERROR(for_each_state(emit, emit_path, [&](int s, const PyValue& row) {
    if (!row.is_dict) return corruption(emit_path + ": expected a dict per state");
    for (size_t i = 0; i < row.keys.size(); ++i) {
      const std::u32string& key = row.keys[i];
      if (key.size() != 1 || row.values[i].is_dict)
        return corruption(emit_path + ": bad emission entry");
      auto [it, added] = hmm.emit_.try_emplace(key[0]);
      if (added) it->second.fill(kMinFloat);
      it->second[s] = row.values[i].number;
    }
    return Status();
  }));
  return hmm;
}

void JiebaHmm::cut(const Runes& runes, Span span, std::vector<Span>* out) const {
  // finalseg.PrevStatus: the states that may precede each state.
  static constexpr int kPrev[4][2] = {{kE, kS}, {kB, kM}, {kM, kB}, {kS, kE}};
  static const Emit kUnseen = {kMinFloat, kMinFloat, kMinFloat, kMinFloat};
  const size_t n = span.size();
  if (n == 0) return;
  auto emit_of = [&](size_t t) -> const Emit& {
    auto it = emit_.find(runes[span.begin + t].rune);
    return it == emit_.end() ? kUnseen : it->second;
  };
  std::array<double, 4> v;
  const Emit& e0 = emit_of(0);
  for (int y = 0; y < 4; ++y) v[y] = start_[y] + e0[y];
  std::vector<std::array<uint8_t, 4>> back(n);
  for (size_t t = 1; t < n; ++t) {
    const Emit& e = emit_of(t);
    std::array<double, 4> next;
    for (int y = 0; y < 4; ++y) {
      // max((V[t-1][y0] + trans_p[y0][y] + em_p, y0) for y0 in PrevStatus[y]): on equal
      // scores the later state letter wins, as in Python's tuple comparison.
      int best = -1;
      double best_p = 0;
      for (int y0 : kPrev[y]) {
        double p = v[y0] + trans_[y0][y] + e[y];
        if (best < 0 || p > best_p || (p == best_p && y0 > best)) best = y0, best_p = p;
      }
      next[y] = best_p;
      back[t][y] = static_cast<uint8_t>(best);
    }
    v = next;
  }
  int state = v[kS] >= v[kE] ? kS : kE;  // max((V[y], y) for y in 'ES')
  std::vector<uint8_t> path(n);
  for (size_t t = n; t-- > 0;) {
    path[t] = static_cast<uint8_t>(state);
    if (t > 0) state = back[t][state];
  }
  uint32_t begin = 0, next_i = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t at = span.begin + i;
    if (path[i] == kB) {
      begin = i;
    } else if (path[i] == kE) {
      out->push_back({span.begin + begin, at + 1});
      next_i = i + 1;
    } else if (path[i] == kS) {
      out->push_back({at, at + 1});
      next_i = i + 1;
    }
  }
  if (next_i < n) out->push_back({span.begin + next_i, span.end});
}

}  // namespace quiver::text
