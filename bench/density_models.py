"""Writes N distinct reference-sized models for bench/density.sh and bench/cold_load.sh:
Embedding(2000, 128) -> Bidirectional(LSTM(196), concat) -> Dense(2, softmax) at T = 40
(bench/inference_models.py's "bilstm" network), each with its own random weights (seed
1000 + i), as Keras 2 .h5 files (tf2.4 layout, tests/golden/model_writer.py), and with
--onnx the same network exported by PyTorch for ONNX Runtime (inference_models.TorchNet).
Files that exist are kept, so the cache is made once and grows: model_0000.h5, ...
Usage: /usr/bin/python3 bench/density_models.py N OUT_DIR [--onnx]
Prints the total weight bytes (float32 parameters x 4) of the N models as JSON.
"""

import json
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import inference_models as im  # noqa: E402

SEQ_LEN = 40


def main():
  n, out = int(sys.argv[1]), sys.argv[2]
  onnx = "--onnx" in sys.argv[3:]
  os.makedirs(out, exist_ok=True)
  warnings.filterwarnings("ignore")
  weight_bytes = 0
  for i in range(n):
    stem = os.path.join(out, "model_%04d" % i)
    net = None
    if not os.path.exists(stem + ".h5"):
      net = im.build_net("bilstm", SEQ_LEN, seed=1000 + i)
      im.model_writer.write_h5(stem + ".tmp.h5", net, im.model_writer.LAYOUTS["tf2.4"])
      os.replace(stem + ".tmp.h5", stem + ".h5")
    if onnx and not os.path.exists(stem + ".onnx"):
      net = net or im.build_net("bilstm", SEQ_LEN, seed=1000 + i)
      tnet = im.TorchNet(net, "bilstm").eval()
      dummy = im.torch.zeros((1, SEQ_LEN), dtype=im.torch.int64)
      with im.torch.no_grad():
        im.torch.onnx.export(tnet, dummy, stem + ".tmp.onnx", input_names=["ids"],
                             output_names=["probs"], opset_version=14,
                             dynamic_axes={"ids": {0: "batch"}, "probs": {0: "batch"}})
      os.replace(stem + ".tmp.onnx", stem + ".onnx")
    # Parameters: embedding, two LSTM directions (kernel, recurrent kernel, bias), dense.
    u, e, v = im.UNITS, im.EMBED, im.VOCAB
    params = v * e + 2 * (e * 4 * u + u * 4 * u + 4 * u) + 2 * u * im.CLASSES + im.CLASSES
    weight_bytes += 4 * params
  print(json.dumps({"models": n, "dir": out, "weight_bytes": weight_bytes}))


if __name__ == "__main__":
  main()
