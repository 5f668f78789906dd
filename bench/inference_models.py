"""Writes the inference benchmark's models: a Keras .h5 per variant and an ONNX file of the
same network exported by PyTorch from the same weights, plus a shared input file.

Reference model (issue 5): Embedding(2000, 128) -> Bidirectional(LSTM(196), concat) ->
Dense(2, softmax), random weights, tf.keras 2.4 .h5 layout (KERAS.md 1.3), written with the
golden generator's writers (tests/golden/model_writer.py). Variants: "bilstm" (the reference),
"lstm" (one direction), "bigru" (Bidirectional(GRU(196, reset_after=True))), each at T = 40 and
T = 200 (the Embedding's input_length is fixed, so one file per T; same weights).

The PyTorch network is built from the same arrays:
  LSTM: torch gates i,f,g,o == Keras i,f,c,o; weight_ih = kernel.T, weight_hh =
        recurrent_kernel.T, bias_ih = bias, bias_hh = 0.
  GRU reset_after=True: torch gates r,z,n vs Keras z,r,h (columns reordered); bias_ih = input
        bias row, bias_hh = recurrent bias row. Both compute n = tanh(x Wn + bn + r*(h Un + bun)).
  Bidirectional concat of the final states == cat(h_n[0], h_n[1]).
Usage: /usr/bin/python3 bench/inference_models.py OUT_DIR
"""

import json
import os
import sys
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "golden"))
import model_writer  # noqa: E402
from net_builder import Net  # noqa: E402

VOCAB, EMBED, UNITS, CLASSES = 2000, 128, 196, 2
VARIANTS = ("bilstm", "lstm", "bigru")
SEQ_LENS = (40, 200)
CHECK_ROWS = 8  # rows of the agreement check (written to inputs_T.jsonl)


def build_net(variant, seq_len, seed=20261126):
  net = Net("bench_" + variant, seq_len, VOCAB, seed=seed)
  rnn_cls = "GRU" if variant == "bigru" else "LSTM"
  core = dict(units=UNITS, recurrent_activation="sigmoid")
  if rnn_cls == "GRU":
    core["reset_after"] = True
  if variant == "lstm":
    rnn = ("LSTM", core)
  else:
    rnn = ("Bidirectional", dict(layer=net.inner(rnn_cls, **core), merge_mode="concat"))
  net.chain(("Embedding", dict(input_dim=VOCAB, output_dim=EMBED)), rnn,
            ("Dense", dict(units=CLASSES, activation="softmax")))
  net.assign_names("tfk")
  return net


def _gru_reorder(m, u):
  """Keras z,r,h column blocks -> torch r,z,n (last axis)."""
  return np.concatenate([m[..., u:2 * u], m[..., :u], m[..., 2 * u:]], axis=-1)


def _set_direction(rnn, suffix, weights, is_gru):
  kernel, recurrent, bias = weights
  u = recurrent.shape[0]
  if is_gru:
    kernel, recurrent = _gru_reorder(kernel, u), _gru_reorder(recurrent, u)
    b_ih, b_hh = _gru_reorder(bias[0], u), _gru_reorder(bias[1], u)
  else:
    b_ih, b_hh = bias, np.zeros_like(bias)
  for name, value in (("weight_ih", kernel.T), ("weight_hh", recurrent.T), ("bias_ih", b_ih),
                      ("bias_hh", b_hh)):
    getattr(rnn, name + suffix).data = torch.tensor(np.ascontiguousarray(value),
                                                    dtype=torch.float32)


class TorchNet(torch.nn.Module):
  def __init__(self, net, variant):
    super().__init__()
    emb, rnn_node, dense = net.nodes[1], net.nodes[2], net.nodes[3]
    bidi = variant != "lstm"
    is_gru = variant == "bigru"
    self.emb = torch.nn.Embedding(VOCAB, EMBED)
    self.emb.weight.data = torch.tensor(emb.weights[0], dtype=torch.float32)
    cls = torch.nn.GRU if is_gru else torch.nn.LSTM
    self.rnn = cls(EMBED, UNITS, batch_first=True, bidirectional=bidi)
    w = rnn_node.weights
    _set_direction(self.rnn, "_l0", w[:3], is_gru)
    if bidi:
      _set_direction(self.rnn, "_l0_reverse", w[3:], is_gru)
    self.dense = torch.nn.Linear(UNITS * (2 if bidi else 1), CLASSES)
    self.dense.weight.data = torch.tensor(dense.weights[0].T.copy(), dtype=torch.float32)
    self.dense.bias.data = torch.tensor(dense.weights[1], dtype=torch.float32)
    self.is_gru = is_gru

  def forward(self, ids):
    _, state = self.rnn(self.emb(ids))
    h = state if self.is_gru else state[0]  # [directions, B, u]
    feat = torch.cat([h[i] for i in range(h.shape[0])], dim=1)
    return torch.softmax(self.dense(feat), dim=1)


def check_inputs(seq_len):
  rng = np.random.default_rng(7 + seq_len)
  rows = rng.integers(0, VOCAB, size=(CHECK_ROWS, seq_len))
  rows[0, :] = VOCAB - 1  # the last id
  return rows


def main():
  out = sys.argv[1]
  os.makedirs(out, exist_ok=True)
  torch.manual_seed(0)
  warnings.filterwarnings("ignore")  # torch.onnx's notes on batch size / shape inference
  for seq_len in SEQ_LENS:
    with open(os.path.join(out, "inputs_%d.jsonl" % seq_len), "w") as f:
      for row in check_inputs(seq_len):
        f.write(json.dumps([int(x) for x in row]) + "\n")
  for variant in VARIANTS:
    for seq_len in SEQ_LENS:
      name = "%s_t%d" % (variant, seq_len)
      net = build_net(variant, seq_len)
      model_writer.write_h5(os.path.join(out, name + ".h5"), net, model_writer.LAYOUTS["tf2.4"])
      tnet = TorchNet(net, variant).eval()
      dummy = torch.zeros((1, seq_len), dtype=torch.int64)
      with torch.no_grad():
        torch.jit.save(torch.jit.trace(tnet, dummy), os.path.join(out, name + ".pt"))
        torch.onnx.export(tnet, dummy, os.path.join(out, name + ".onnx"), input_names=["ids"],
                          output_names=["probs"], opset_version=14,
                          dynamic_axes={"ids": {0: "batch"}, "probs": {0: "batch"}})
      print("wrote", name)


if __name__ == "__main__":
  main()
