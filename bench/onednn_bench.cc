// oneDNN as a peer of the inference benchmark (issue 19 item 1): Intel oneDNN's own RNN
// primitive (lstm_forward; lbr_gru_forward for GRU reset_after=True) on the SAME weights as
// quiver, read from the benchmark's Keras .h5 with quiver's reader:
// Embedding -> LSTM / Bidirectional(LSTM or GRU, concat) -> Dense(softmax).
//
//   onednn_bench MODEL.h5 --batch B --seq-len T --threads N [--seconds S]
//                [--mode fp32|bf16|int8] [--check IDS.jsonl OUT.jsonl]
//
// One JSON line as `quiver bench` prints ({"batch", "seq_len", "threads", "median_ms",
// "p90_ms", "sentences_per_s", "load_ms", "rss_mb"}) plus "mode" and "isa"; when oneDNN
// refuses the mode on this CPU (no primitive implementation), {"refused": "<what oneDNN
// said>"} instead, exit 0. --check writes the probabilities of the rows of IDS.jsonl (one JSON
// array of ids per line) to OUT.jsonl and exits.
//
// Timed: the embedding gather into oneDNN's tnc layout (int8: quantized to u8 with the data
// scale), the RNN primitive, the Dense layer and the softmax — ids in, probabilities out, as
// quiver bench times Model::predict. Weights are reordered once at load (load_ms).
//
// Modes (oneDNN's documented arithmetic): fp32; bf16 (src, weights, dst bf16, bias f32);
// int8 (u8 data = round(scale * x + 128) with one scale for src_layer and src_iter,
// rnn_data_qparams; s8 weights with a scale per gate and output channel shared by
// weights_layer and weights_iter and both directions, rnn_weights_qparams mask (1<<3)|(1<<4);
// f32 bias and dst). Threads: oneDNN's OpenMP runtime, omp_set_num_threads(N).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <dnnl.hpp>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "keras_io/model_spec.h"

namespace {

using dnnl::memory;
using Clock = std::chrono::steady_clock;

struct Net {
  bool gru = false, bidi = false;
  int64_t vocab = 0, embed = 0, units = 0, classes = 0;
  std::vector<float> embedding;         // [vocab, embed]
  std::vector<float> wx, wh;            // ldigo: [D][C][G][O], [D][O][G][O] (Keras layout)
  std::vector<float> bias;              // ldgo: [D][Gb][O]
  std::vector<float> dense_w, dense_b;  // [D*O, classes], [classes]
  int64_t dirs() const { return bidi ? 2 : 1; }
  int64_t gates() const { return gru ? 3 : 4; }
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "onednn_bench: %s\n", what.c_str());
  std::exit(1);
}

// One direction's (kernel, recurrent_kernel, bias) in Keras layout appended to the net.
void add_direction(const std::vector<quiver::keras_io::WeightArray>& w, size_t at, Net* n) {
  const auto &k = w.at(at), &r = w.at(at + 1), &b = w.at(at + 2);
  n->embed = k.shape.at(0);
  n->units = r.shape.at(0);
  n->wx.insert(n->wx.end(), k.values.begin(), k.values.end());
  n->wh.insert(n->wh.end(), r.values.begin(), r.values.end());
  const int64_t u = n->units;
  if (!n->gru) {  // i f c o, one bias; oneDNN's LSTM bias has the same 4 gates
    n->bias.insert(n->bias.end(), b.values.begin(), b.values.end());
    return;
  }
  // Keras reset_after GRU: bias [2, 3u] (input z r h, recurrent z r h). oneDNN's lbr_gru
  // bias is [u, r, o, o'] with u = z: b_z + rb_z, r: b_r + rb_r, o: b_h, o': rb_h.
  if (b.shape.size() != 2) fail("GRU without reset_after is not oneDNN's lbr_gru");
  for (int64_t g = 0; g < 2; ++g) {
    for (int64_t j = 0; j < u; ++j)
      n->bias.push_back(b.values[g * u + j] + b.values[3 * u + g * u + j]);
  }
  for (int64_t j = 0; j < u; ++j) n->bias.push_back(b.values[2 * u + j]);
  for (int64_t j = 0; j < u; ++j) n->bias.push_back(b.values[5 * u + j]);
}

Net load_net(const std::string& path) {
  auto spec = quiver::keras_io::read_model(path);
  if (!spec.ok()) fail(spec.status().to_string());
  Net n;
  for (const auto& l : spec->layers) {
    if (l.class_name == "Embedding") {
      n.vocab = l.weights.at(0).shape.at(0);
      n.embedding = l.weights.at(0).values;
    } else if (l.class_name == "LSTM" || l.class_name == "GRU" || l.class_name == "Bidirectional") {
      const std::string cls = l.class_name == "Bidirectional"
                                  ? l.config["layer"]["class_name"].get<std::string>()
                                  : l.class_name;
      n.gru = cls == "GRU";
      n.bidi = l.class_name == "Bidirectional";
      for (int64_t d = 0; d < n.dirs(); ++d)
        add_direction(l.weights, static_cast<size_t>(3 * d), &n);
    } else if (l.class_name == "Dense") {
      n.classes = l.weights.at(0).shape.at(1);
      n.dense_w = l.weights.at(0).values;
      n.dense_b = l.weights.at(1).values;
    }
  }
  if (n.vocab == 0 || n.units == 0 || n.classes == 0)
    fail(path + ": not Embedding -> RNN -> Dense");
  return n;
}

double rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

// The whole model for `batch` rows of `seq_len` ids through one oneDNN RNN primitive.
class Runner {
 public:
  Runner(const Net& n, int64_t batch, int64_t seq_len, const std::string& mode)
      : n_(n), batch_(batch), t_(seq_len), mode_(mode), eng_(dnnl::engine::kind::cpu, 0), s_(eng_) {
    const int64_t d = n.dirs(), c = n.embed, o = n.units, g = n.gates();
    const auto data_dt = mode == "int8"   ? memory::data_type::u8
                         : mode == "bf16" ? memory::data_type::bf16
                                          : memory::data_type::f32;
    const auto w_dt = mode == "int8"   ? memory::data_type::s8
                      : mode == "bf16" ? memory::data_type::bf16
                                       : memory::data_type::f32;
    const auto dst_dt = mode == "bf16" ? memory::data_type::bf16 : memory::data_type::f32;
    using tag = memory::format_tag;
    const memory::desc src_md({t_, batch_, c}, data_dt, tag::tnc);
    const memory::desc wx_md({1, d, c, g, o}, w_dt, tag::any),
        wh_md({1, d, o, g, o}, w_dt, tag::any);
    const memory::desc b_md({1, d, n.gru ? 4 : g, o}, memory::data_type::f32, tag::ldgo);
    const memory::desc dst_md({t_, batch_, d * o}, dst_dt, tag::tnc);
    const auto dir = n.bidi ? dnnl::rnn_direction::bidirectional_concat
                            : dnnl::rnn_direction::unidirectional_left2right;
    dnnl::primitive_attr attr;
    if (mode == "int8") {
      // One data scale for x and h: h is in [-1, 1], x within the embedding's range.
      float xmax = 1.0f;
      for (float v : n.embedding) xmax = std::max(xmax, std::fabs(v));
      data_scale_ = 127.0f / xmax;
      attr.set_rnn_data_qparams(data_scale_, 128.0f);
      // Per gate and output channel, over both matrices and directions (oneDNN shares them).
      std::vector<float> wmax(static_cast<size_t>(g * o), 0.0f);
      auto scan = [&](const std::vector<float>& w) {
        for (size_t i = 0; i < w.size(); ++i)
          wmax[i % wmax.size()] = std::max(wmax[i % wmax.size()], std::fabs(w[i]));
      };
      scan(n.wx);
      scan(n.wh);
      std::vector<float> scales(wmax.size());
      for (size_t i = 0; i < wmax.size(); ++i) scales[i] = wmax[i] > 0 ? 127.0f / wmax[i] : 1.0f;
      attr.set_rnn_weights_qparams((1 << 3) | (1 << 4), scales);
    }
    dnnl::rnn_primitive_desc_base* pd_base = nullptr;
    if (n.gru) {
      dnnl::lbr_gru_forward::desc desc(dnnl::prop_kind::forward_inference, dir, src_md,
                                       memory::desc(), wx_md, wh_md, b_md, dst_md, memory::desc());
      gru_pd_ = dnnl::lbr_gru_forward::primitive_desc(desc, attr, eng_);
      pd_base = &gru_pd_;
      prim_ = dnnl::lbr_gru_forward(gru_pd_);
    } else {
      dnnl::lstm_forward::desc desc(dnnl::prop_kind::forward_inference, dir, src_md, memory::desc(),
                                    memory::desc(), wx_md, wh_md, b_md, dst_md, memory::desc(),
                                    memory::desc());
      lstm_pd_ = dnnl::lstm_forward::primitive_desc(desc, attr, eng_);
      pd_base = &lstm_pd_;
      prim_ = dnnl::lstm_forward(lstm_pd_);
    }
    isa_ = pd_base->impl_info_str();
    auto reordered = [&](const std::vector<float>& v, const memory::dims& dims,
                         const memory::desc& want) {
      memory user({dims, memory::data_type::f32, tag::ldigo}, eng_, const_cast<float*>(v.data()));
      memory m(want, eng_);
      dnnl::reorder(dnnl::reorder::primitive_desc(eng_, user.get_desc(), eng_, want, attr))
          .execute(s_, user, m);
      return m;
    };
    wx_ = reordered(n.wx, {1, d, c, g, o}, pd_base->weights_layer_desc());
    wh_ = reordered(n.wh, {1, d, o, g, o}, pd_base->weights_iter_desc());
    bias_ = memory(b_md, eng_, const_cast<float*>(n.bias.data()));
    src_ = memory(src_md, eng_);
    dst_ = memory(pd_base->dst_layer_desc(), eng_);
    s_.wait();
  }

  const std::string& isa() const { return isa_; }

  // ids [batch][seq_len] -> probabilities [batch][classes].
  void run(const std::vector<int32_t>& ids, std::vector<float>* probs) {
    const int64_t o = n_.units, d = n_.dirs();
    gather(ids);
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC_LAYER, src_},
                                            {DNNL_ARG_WEIGHTS_LAYER, wx_},
                                            {DNNL_ARG_WEIGHTS_ITER, wh_},
                                            {DNNL_ARG_BIAS, bias_},
                                            {DNNL_ARG_DST_LAYER, dst_}};
    prim_.execute(s_, args);
    s_.wait();
    // Final states: forward = dst[T-1][:, 0:o]; backward (bidirectional_concat) = dst[0][:, o:2o].
    std::vector<float> feat(static_cast<size_t>(d * o));
    probs->assign(static_cast<size_t>(batch_ * n_.classes), 0.0f);
    for (int64_t r = 0; r < batch_; ++r) {
      for (int64_t j = 0; j < o; ++j) {
        feat[j] = dst_at((t_ - 1) * batch_ * d * o + r * d * o + j);
        if (d == 2) feat[o + j] = dst_at(r * d * o + o + j);
      }
      float* p = probs->data() + r * n_.classes;
      float mx = -INFINITY;
      for (int64_t k = 0; k < n_.classes; ++k) {
        float z = n_.dense_b[k];
        for (int64_t j = 0; j < d * o; ++j) z += feat[j] * n_.dense_w[j * n_.classes + k];
        p[k] = z;
        mx = std::max(mx, z);
      }
      float sum = 0.0f;
      for (int64_t k = 0; k < n_.classes; ++k) sum += (p[k] = std::exp(p[k] - mx));
      for (int64_t k = 0; k < n_.classes; ++k) p[k] /= sum;
    }
  }

 private:
  void gather(const std::vector<int32_t>& ids) {
    const int64_t c = n_.embed;
    for (int64_t t = 0; t < t_; ++t) {
      for (int64_t r = 0; r < batch_; ++r) {
        const float* e = n_.embedding.data() + int64_t{ids[r * t_ + t]} * c;
        const int64_t at = (t * batch_ + r) * c;
        if (mode_ == "int8") {
          auto* dst = static_cast<uint8_t*>(src_.get_data_handle()) + at;
          for (int64_t k = 0; k < c; ++k) {
            dst[k] = static_cast<uint8_t>(
                std::clamp(std::nearbyint(data_scale_ * e[k] + 128.0f), 0.0f, 255.0f));
          }
        } else if (mode_ == "bf16") {
          auto* dst = static_cast<uint16_t*>(src_.get_data_handle()) + at;
          for (int64_t k = 0; k < c; ++k) dst[k] = to_bf16(e[k]);
        } else {
          std::memcpy(static_cast<float*>(src_.get_data_handle()) + at, e,
                      static_cast<size_t>(c) * 4);
        }
      }
    }
  }
  static uint16_t to_bf16(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return static_cast<uint16_t>((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
  }
  float dst_at(int64_t i) const {
    if (mode_ == "bf16") {
      const uint32_t b = uint32_t{static_cast<const uint16_t*>(dst_.get_data_handle())[i]} << 16;
      float f;
      std::memcpy(&f, &b, 4);
      return f;
    }
    return static_cast<const float*>(dst_.get_data_handle())[i];
  }

  const Net& n_;
  int64_t batch_, t_;
  std::string mode_;
  dnnl::engine eng_;
  dnnl::stream s_;
  float data_scale_ = 1.0f;
  dnnl::lstm_forward::primitive_desc lstm_pd_;
  dnnl::lbr_gru_forward::primitive_desc gru_pd_;
  dnnl::primitive prim_;
  memory wx_, wh_, bias_, src_, dst_;
  std::string isa_;
};

std::vector<std::vector<int32_t>> read_id_rows(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::vector<int32_t>> rows;
  std::string line;
  while (std::getline(f, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    rows.push_back(nlohmann::json::parse(line).get<std::vector<int32_t>>());
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2)
    fail(
        "usage: onednn_bench MODEL.h5 --batch B --seq-len T --threads N [--seconds S] [--mode "
        "fp32|bf16|int8] [--check IDS OUT]");
  std::string model = argv[1], mode = "fp32", check_in, check_out;
  int64_t batch = 1, seq_len = 40;
  int threads = 1;
  double seconds = 3.0;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) fail("missing value after " + a);
      return argv[++i];
    };
    if (a == "--batch")
      batch = std::stoll(next());
    else if (a == "--seq-len")
      seq_len = std::stoll(next());
    else if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--seconds")
      seconds = std::stod(next());
    else if (a == "--mode")
      mode = next();
    else if (a == "--check")
      check_in = next(), check_out = next();
    else
      fail("unknown option " + a);
  }
  omp_set_num_threads(threads);
  // load_ms as quiver bench's: reading the file, preparing the weights, creating the primitive.
  const auto load_start = Clock::now();
  const Net net = load_net(model);
  std::vector<std::vector<int32_t>> check_rows;
  if (!check_in.empty()) {
    check_rows = read_id_rows(check_in);
    batch = static_cast<int64_t>(check_rows.size());
    seq_len = static_cast<int64_t>(check_rows.at(0).size());
  }
  std::unique_ptr<Runner> runner;
  try {
    runner = std::make_unique<Runner>(net, batch, seq_len, mode);
  } catch (const dnnl::error& e) {
    std::printf("%s\n",
                nlohmann::json{{"mode", mode},
                               {"refused", std::string(e.what()) + " (status " +
                                               std::to_string(static_cast<int>(e.status)) + ")"}}
                    .dump()
                    .c_str());
    return 0;
  }
  const double load_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - load_start).count();
  std::vector<float> probs;
  if (!check_in.empty()) {
    std::vector<int32_t> ids;
    for (const auto& r : check_rows) ids.insert(ids.end(), r.begin(), r.end());
    runner->run(ids, &probs);
    std::ofstream out(check_out);
    for (int64_t r = 0; r < batch; ++r) {
      out << nlohmann::json(std::vector<float>(probs.begin() + r * net.classes,
                                               probs.begin() + (r + 1) * net.classes))
                 .dump()
          << "\n";
    }
    return 0;
  }
  // quiver bench's ids and protocol: seeded random ids in [1, vocab), a warm-up of at least 2
  // calls and 10 % of the time, then calls for `seconds`; median / p90 per call.
  std::mt19937 rng(42);
  std::uniform_int_distribution<int32_t> id(1, static_cast<int32_t>(net.vocab - 1));
  std::vector<int32_t> ids(static_cast<size_t>(batch * seq_len));
  for (int32_t& v : ids) v = id(rng);
  auto since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  const auto warm = Clock::now();
  for (int n = 0; n < 2 || since(warm) < seconds * 0.1; ++n) runner->run(ids, &probs);
  std::vector<double> times;
  const auto start = Clock::now();
  while (times.empty() || since(start) < seconds) {
    const auto s = Clock::now();
    runner->run(ids, &probs);
    times.push_back(since(s) * 1000.0);
  }
  const double total = since(start);
  const size_t calls = times.size();
  std::sort(times.begin(), times.end());
  auto rank = [&](double q) {
    return times[static_cast<size_t>(std::max(0.0, std::ceil(q * calls) - 1))];
  };
  nlohmann::json j = {
      {"batch", batch},      {"seq_len", seq_len},
      {"threads", threads},  {"median_ms", rank(0.5)},
      {"p90_ms", rank(0.9)}, {"sentences_per_s", static_cast<double>(batch * calls) / total},
      {"load_ms", load_ms},  {"rss_mb", rss_mb()},
      {"mode", mode},        {"isa", runner->isa()}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
