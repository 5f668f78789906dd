#!/usr/bin/python3
"""Cross-checks keras_numpy_ref against PyTorch where tfjs cannot help.

usage: check_numpy_ref.py
GRU reset_after=True (tfjs rejects it) is PyTorch's GRU: gates r, z, n with the reset gate
applied to (U_h h + b_hh). LSTM gate order i, f, g(c), o is the same in both. Masked steps and
go_backwards are checked against hand-derived expectations (states carried over padding).
Prints one line per check and 'N passed, N failed'; exit 77 when torch is missing.
"""

import os
import sys

try:
  import numpy as np
except ImportError:  # reported as a skip by main()
  np = None

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def torch_gru(x, kernel, rec, bias, u):
  import torch
  gru = torch.nn.GRU(x.shape[-1], u, batch_first=True).double()
  reorder = lambda m: np.concatenate([m[..., u:2 * u], m[..., :u], m[..., 2 * u:]], axis=-1)
  with torch.no_grad():  # Keras blocks z, r, h -> torch r, z, n; torch weights are [3u, d]
    gru.weight_ih_l0.copy_(torch.tensor(reorder(kernel).T))
    gru.weight_hh_l0.copy_(torch.tensor(reorder(rec).T))
    gru.bias_ih_l0.copy_(torch.tensor(reorder(bias[0])))
    gru.bias_hh_l0.copy_(torch.tensor(reorder(bias[1])))
    out, h = gru(torch.tensor(x))
  return out.numpy(), h[0].numpy()


def torch_lstm(x, kernel, rec, bias, u):
  import torch
  lstm = torch.nn.LSTM(x.shape[-1], u, batch_first=True).double()
  with torch.no_grad():
    lstm.weight_ih_l0.copy_(torch.tensor(kernel.T))
    lstm.weight_hh_l0.copy_(torch.tensor(rec.T))
    lstm.bias_ih_l0.copy_(torch.tensor(bias))
    lstm.bias_hh_l0.zero_()
    out, (h, c) = lstm(torch.tensor(x))
  return out.numpy(), h[0].numpy()


def main():
  try:
    import torch  # noqa: F401
    import keras_numpy_ref as ref
  except ImportError as e:
    print("SKIP: %s" % e)
    return 77
  rng = np.random.default_rng(5)
  n, t, d, u = 4, 7, 3, 5
  x = rng.normal(size=(n, t, d))
  checks = []
  k, r, b = rng.normal(size=(d, 3 * u)), rng.normal(size=(u, 3 * u)), rng.normal(size=(2, 3 * u))
  cfg = {"units": u, "reset_after": True, "recurrent_activation": "sigmoid",
         "return_sequences": True}
  got = ref.rnn("GRU", cfg, [k, r, b], x, None, "tfk")[0][0]
  checks.append(("GRU reset_after=True vs torch.nn.GRU", got, torch_gru(x, k, r, b, u)[0]))
  k, r, b = rng.normal(size=(d, 4 * u)), rng.normal(size=(u, 4 * u)), rng.normal(size=4 * u)
  cfg = {"units": u, "recurrent_activation": "sigmoid", "return_sequences": True}
  got = ref.rnn("LSTM", cfg, [k, r, b], x, None, "tfk")[0][0]
  checks.append(("LSTM vs torch.nn.LSTM", got, torch_lstm(x, k, r, b, u)[0]))
  # pre-padding with a mask == running over the real steps only (KERAS.md 2.5)
  mask = np.ones((n, t), bool)
  mask[:, :3] = False
  cfg = {"units": u, "recurrent_activation": "sigmoid"}
  got = ref.rnn("LSTM", cfg, [k, r, b], x, mask, "tfk")[0][0]
  checks.append(("masked pre-padding == unpadded run", got, torch_lstm(x[:, 3:], k, r, b, u)[1]))
  # go_backwards: the last output is the run over the reversed sequence
  got = ref.rnn("LSTM", dict(cfg, go_backwards=True), [k, r, b], x, None, "tfk")[0][0]
  checks.append(("go_backwards == reversed input", got, torch_lstm(x[:, ::-1].copy(), k, r, b,
                                                                   u)[1]))
  passed = 0
  for name, a, e in checks:
    diff = float(np.max(np.abs(a - e)))
    ok = diff < 1e-9
    passed += ok
    print("%-45s max diff %.2e  %s" % (name, diff, "ok" if ok else "FAIL"))
  print("%d passed, %d failed" % (passed, len(checks) - passed))
  return 0 if passed == len(checks) else 1


if __name__ == "__main__":
  sys.exit(main())
