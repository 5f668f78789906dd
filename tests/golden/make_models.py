#!/usr/bin/python3
"""Generates random-weight Keras models for every layer and option of issue 2, in the file
layouts Keras 2.0-2.3, tf.keras 2.x and Keras 3 write, with reference outputs.

usage: make_models.py OUT_DIR [--only SUBSTRING] [--engine auto|tfjs|numpy]

Per case OUT_DIR/<case>/ gets model.h5 | model.keras | weights.h5 + architecture.{json,yml},
inputs.jsonl (12 padded id rows), expected.jsonl (reference_predict.py: TensorFlow.js, or the
numpy Keras reference where tfjs departs from Keras) and case.json (layout, engine, why,
tfjs-vs-numpy agreement). OUT_DIR/manifest.json lists the cases. Seeds are fixed, so the
output is deterministic.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_writer  # noqa: E402
import nested_writer  # noqa: E402
import reference_predict  # noqa: E402
from net_builder import Net  # noqa: E402

T, V, E, U = 10, 30, 6, 5


def emb(mask=False, input_dim=V, output_dim=E):
  return ("Embedding", dict(input_dim=input_dim, output_dim=output_dim, mask_zero=mask))


def dense(units=3, act="softmax"):
  return ("Dense", dict(units=units, activation=act))


def rnn(cls, units=U, **kw):
  return (cls, dict(units=units, **kw))


def lstm_k2(**kw):
  return rnn("LSTM", recurrent_activation="hard_sigmoid", **kw)


def bidi(net, inner_cls, mode="concat", units=U, **inner_kw):
  return ("Bidirectional", dict(layer=net.inner(inner_cls, units=units, **inner_kw),
                                merge_mode=mode))


def seq(*layers):
  def build(net):
    net.chain(*[l(net) if callable(l) else l for l in layers])
  return build


# ------------------------------------------------------------------ functional builders

def f_merge(kind, masked=True):
  def build(net):
    e = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=masked)
    a = net.add("LSTM", e, units=U, recurrent_activation="sigmoid")
    b = net.add("GRU", e, units=U, recurrent_activation="sigmoid", reset_after=False)
    m = net.add(kind, [a, b], **({"axis": -1} if kind == "Concatenate" else {}))
    net.outputs = [(net.add("Dense", m, units=2, activation="softmax"), 0)]
  return build


def textcnn(vocabulary):
  """Kim's TextCNN: Conv1D branches of widths 2, 3, 4, max-pooled and joined, one sigmoid."""
  def build(net):
    e = net.add("Embedding", 0, input_dim=vocabulary, output_dim=E, mask_zero=False)
    pools = []
    for k in (2, 3, 4):
      c = net.add("Conv1D", e, filters=4, kernel_size=[k], strides=[1], padding="valid",
                  dilation_rate=[1], activation="relu")
      pools.append(net.add("GlobalMaxPooling1D", c))
    m = net.add("Concatenate", pools, axis=-1)
    net.outputs = [(net.add("Dense", m, units=1, activation="sigmoid"), 0)]
  return build


f_textcnn = textcnn(V)


def f_return_state(cls):
  def build(net):
    e = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=True)
    r = net.add(cls, e, units=U, return_state=True, recurrent_activation="sigmoid",
                **({"reset_after": True} if cls == "GRU" else {}))
    refs = [(r, 0), (r, 1)] + ([(r, 2)] if cls == "LSTM" else [])
    m = net.add("Concatenate", refs, axis=-1)
    net.outputs = [(net.add("Dense", m, units=2, activation="sigmoid"), 0)]
  return build


def f_bidi_none(merge):
  def build(net):
    e = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=True)
    b = net.add("Bidirectional", e, layer=net.inner("LSTM", units=U,
                                                    recurrent_activation="sigmoid"),
                merge_mode=None)
    m = net.add(merge, [(b, 0), (b, 1)])
    net.outputs = [(net.add("Dense", m, units=1, activation="sigmoid"), 0)]
  return build


def f_bidi_state(net):
  e = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=True)
  b = net.add("Bidirectional", e, layer=net.inner("GRU", units=U, return_state=True,
                                                  recurrent_activation="sigmoid",
                                                  reset_after=False), merge_mode="sum")
  m = net.add("Concatenate", [(b, 0), (b, 1), (b, 2)], axis=-1)
  net.outputs = [(net.add("Dense", m, units=2, activation="softmax"), 0)]


def f_shared_dense(net):
  """One Dense layer called on two branches: inbound node index 1 (shared layers)."""
  e = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=False)
  a = net.add("LSTM", e, units=U, recurrent_activation="sigmoid")
  b = net.add("GRU", e, units=U, recurrent_activation="sigmoid", reset_after=False)
  shared = net.add("Dense", a, units=4, activation="tanh")
  second = net.call(shared, b)
  m = net.add("Concatenate", [shared, second], axis=-1)
  net.outputs = [(net.add("Dense", m, units=2, activation="softmax"), 0)]


def f_add_residual(net):
  e = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=False)
  a = net.add("Dense", e, units=E, activation="tanh")
  s = net.add("Add", [e, a])
  n = net.add("LayerNormalization", s, axis=[-1], epsilon=1e-3, center=True, scale=True)
  g = net.add("GlobalAveragePooling1D", n)
  net.outputs = [(net.add("Dense", g, units=3, activation="softmax"), 0)]


def f_mha_encoder(masked, causal=False, value_dim=None, output_shape=None):
  """A Transformer encoder block from standard layers: MHA self-attention, Add + LayerNorm,
  a Dense feed-forward, Add + LayerNorm, GlobalAveragePooling1D (masked when mask_zero)."""
  def build(net):
    e = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=masked)
    kw = dict(num_heads=2, key_dim=3, value_dim=value_dim, dropout=0.0, use_bias=True,
              output_shape=output_shape, attention_axes=None)
    if causal:
      kw["call_kwargs"] = {"use_causal_mask": True}
    a = net.add("MultiHeadAttention", [e, e], **kw)
    x = net.add("LayerNormalization", net.add("Add", [e, a]), axis=[-1], epsilon=1e-6,
                center=True, scale=True)
    f = net.add("Dense", net.add("Dense", x, units=8, activation="relu"), units=E,
                activation="linear")
    y = net.add("LayerNormalization", net.add("Add", [x, f]), axis=[-1], epsilon=1e-6,
                center=True, scale=True)
    g = net.add("GlobalAveragePooling1D" if not causal else "GlobalMaxPooling1D", y)
    net.outputs = [(net.add("Dense", g, units=2, activation="softmax"), 0)]
  return build


def f_attention(cls, masked, three=False, causal=False, **kw):
  """LSTM states attend over the embeddings (Attention / AdditiveAttention)."""
  def build(net):
    e = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=masked)
    q = net.add("LSTM", e, units=E, return_sequences=True, recurrent_activation="sigmoid")
    ins = [q, e] + ([net.add("Dense", e, units=E, activation="tanh")] if three else [])
    core = dict(kw)
    if causal:
      core["call_kwargs"] = {"use_causal_mask": True}
    a = net.add(cls, ins, dropout=0.0, **core)
    c = net.add("Concatenate", [a, q], axis=-1)
    g = net.add("GlobalAveragePooling1D", c)
    net.outputs = [(net.add("Dense", g, units=3, activation="softmax"), 0)]
  return build


def f_ids_and_features(net):
  """Text ids + numeric features: two inputs joined by Concatenate."""
  f = net.add_input((4,), "features")
  e = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=True)
  r = net.add("LSTM", e, units=U, recurrent_activation="sigmoid")
  d = net.add("Dense", f, units=3, activation="tanh")
  m = net.add("Concatenate", [r, d], axis=-1)
  net.outputs = [(net.add("Dense", m, units=2, activation="softmax"), 0)]


def f_two_texts(net):
  """Two texts through one shared Embedding and LSTM (a siamese pair), then their average and
  product (tfjs lacks Subtract)."""
  net.add_input((T,), "text_b")
  e = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=True)
  e2 = net.call(e, 1)
  a = net.add("LSTM", e, units=U, recurrent_activation="sigmoid")
  b = net.call(a, e2)
  diff = net.add("Average", [a, b])
  prod = net.add("Multiply", [a, b])
  m = net.add("Concatenate", [a, b, diff, prod], axis=-1)
  net.outputs = [(net.add("Dense", m, units=1, activation="sigmoid"), 0)]


def f_transformer_positions(net):
  """Token + position embeddings added (positions are a second input), a Transformer
  encoder block, masked mean pooling (the mask comes from the token Embedding)."""
  p = net.add_input((T,), "positions")
  tok = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=True)
  pos = net.add("Embedding", p, input_dim=T, output_dim=E, mask_zero=False)
  x0 = net.add("Add", [tok, pos])
  a = net.add("MultiHeadAttention", [x0, x0], num_heads=2, key_dim=4, value_dim=None,
              dropout=0.0, use_bias=True, output_shape=None, attention_axes=None)
  x = net.add("LayerNormalization", net.add("Add", [x0, a]), axis=[-1], epsilon=1e-6,
              center=True, scale=True)
  f = net.add("Dense", net.add("Dense", x, units=8, activation="relu"), units=E)
  y = net.add("LayerNormalization", net.add("Add", [x, f]), axis=[-1], epsilon=1e-6,
              center=True, scale=True)
  g = net.add("GlobalAveragePooling1D", y)
  net.outputs = [(net.add("Dense", g, units=3, activation="softmax"), 0)]


def f_dot_prelu(net):
  """Hand-written attention with Dot (scores q.k over features, softmax, weights.values over
  steps), a cosine of two pooled vectors (Dot normalize), PReLU per unit and shared on time."""
  e = net.add("Embedding", 0, input_dim=V, output_dim=E, mask_zero=False)
  q = net.add("Dense", e, units=E, activation="tanh")
  s = net.add("Dot", [q, e], axes=[2, 2], normalize=False)
  a = net.add("Activation", s, activation="softmax")
  c = net.add("Dot", [a, e], axes=[2, 1], normalize=False)
  g = net.add("GlobalAveragePooling1D", c)
  gm = net.add("GlobalMaxPooling1D", e)
  cos = net.add("Dot", [g, gm], axes=1, normalize=True)
  p = net.add("PReLU", net.add("Dense", g, units=6, activation="linear"), shared_axes=None)
  p2 = net.add("GlobalMaxPooling1D", net.add("PReLU", q, shared_axes=[1]))
  m = net.add("Concatenate", [cos, p, p2], axis=-1)
  net.outputs = [(net.add("Dense", m, units=3, activation="softmax"), 0)]


def named_rows(net, rng, t, v):
  """Per-row {input name: array} for a model with several inputs."""
  ids = make_inputs(rng, t, v)
  rows = [dict() for _ in ids]
  for i in net.inputs:
    node = net.nodes[i]
    shape = node.out_shapes[0]
    for k, row in enumerate(rows):
      if node.name == "features":
        row[node.name] = [round(float(x), 4) for x in rng.normal(size=shape)]
      elif node.name == "positions":
        row[node.name] = list(range(shape[0]))
      elif i == 0:
        row[node.name] = ids[k]
      else:
        row[node.name] = ids[(k + 5) % len(ids)]
  return rows


# ------------------------------------------------------------------ the case list

LSTM_BASE = seq(emb(True), lstm_k2(), dense())
LSTM_SIG = seq(emb(True), rnn("LSTM", recurrent_activation="sigmoid"), dense())

CASES = [
    # layout sweep: the same small classifier in every file layout
    ("layout_k2.0.8_lstm", "k2.0.8", LSTM_BASE),
    ("layout_k2.1.6_lstm", "k2.1.6", LSTM_BASE),
    ("layout_k2.2.4_lstm", "k2.2.4", LSTM_BASE),
    ("layout_k2.3.1_lstm", "k2.3.1", LSTM_SIG),
    ("layout_tf1.15_lstm", "tf1.15", LSTM_BASE),
    ("layout_tf2.4_lstm", "tf2.4", LSTM_SIG),
    ("layout_tf2.11_lstm", "tf2.11", LSTM_SIG),
    ("layout_k3.8_h5_lstm", "k3.8-h5", LSTM_SIG),
    ("layout_k3.8_keras_lstm", "k3.8-keras", LSTM_SIG),
    ("layout_tf2.15_keras_windows_lstm", "tf2.15-keras-win", LSTM_SIG),
    ("layout_tf2.13_keras_lstm", "tf2.13-keras", LSTM_SIG),
    ("layout_tf2.13_keras_bigru", "tf2.13-keras", lambda n: n.chain(
        emb(True), bidi(n, "GRU", "concat", return_sequences=True, reset_after=True),
        ("GlobalMaxPooling1D", {}), dense(2))),
    ("layout_tf2.11_weights_json_lstm", "tf2.11-weights-json", LSTM_SIG),
    ("layout_k2.2.4_weights_yaml_lstm", "k2.2.4-weights-yaml", LSTM_BASE),
    ("layout_k2.1.6_weights_json2_lstm", "k2.1.6-weights-json2", LSTM_BASE),
    ("layout_k1.2.2_weights_json_lstm", "k1.2.2-weights-json", LSTM_BASE),
    ("layout_k1.2.2_weights_json_gru", "k1.2.2-weights-json",
     seq(emb(True), rnn("GRU", return_sequences=True, recurrent_activation="hard_sigmoid"),
         rnn("LSTM", recurrent_activation="sigmoid", go_backwards=True), dense(2))),
    ("layout_k1.2.2_weights_k2json_lstm_gru", "k1.2.2-weights-k2json", lambda n: n.chain(
        emb(True), rnn("LSTM", return_sequences=True, recurrent_activation="hard_sigmoid"),
        rnn("GRU", recurrent_activation="hard_sigmoid", reset_after=False), dense(2))),
    ("layout_k2.2.4_split_layer_names", "k2.2.4", LSTM_BASE, {"split": True}),
    ("functional_k2.0.8_merge_concat", "k2.0.8", f_merge("Concatenate")),
    ("functional_k2.2.4_merge_add", "k2.2.4", f_merge("Add")),
    ("functional_tf2.4_merge_average", "tf2.4", f_merge("Average")),
    ("functional_tf2.11_merge_multiply", "tf2.11", f_merge("Multiply")),
    ("functional_k3.8_h5_merge_maximum", "k3.8-h5", f_merge("Maximum")),
    ("functional_k3.8_keras_merge_concat", "k3.8-keras", f_merge("Concatenate")),
    ("functional_tf1.15_textcnn", "tf1.15", f_textcnn),
    ("functional_k3.8_keras_textcnn", "k3.8-keras", f_textcnn),
    ("functional_k2.2.4_shared_dense", "k2.2.4", f_shared_dense),
    ("functional_tf2.11_shared_dense", "tf2.11", f_shared_dense),
    ("functional_k3.8_keras_shared_dense", "k3.8-keras", f_shared_dense),
    ("functional_tf2.11_residual_layernorm", "tf2.11", f_add_residual),
    # attention (issue 16): numpy reference of the Keras equations, checked against PyTorch
    ("attention_mha_encoder_masked_k3.8_keras", "k3.8-keras", f_mha_encoder(True)),
    ("attention_mha_encoder_masked_tf2.11", "tf2.11", f_mha_encoder(True, value_dim=4)),
    ("attention_mha_causal_k3.8_h5", "k3.8-h5", f_mha_encoder(False, causal=True,
                                                             output_shape=[E])),
    ("attention_dot_scale_masked_k3.8_keras", "k3.8-keras",
     f_attention("Attention", True, use_scale=True, score_mode="dot")),
    ("attention_concat_causal_tf2.11", "tf2.11",
     f_attention("Attention", False, causal=True, use_scale=True, score_mode="concat")),
    ("multi_input_ids_features_k3.8_keras", "k3.8-keras", f_ids_and_features),
    ("multi_input_ids_features_tf2.11", "tf2.11", f_ids_and_features),
    ("multi_input_two_texts_k3.8_h5", "k3.8-h5", f_two_texts),
    ("dot_prelu_k3.8_keras", "k3.8-keras", f_dot_prelu),
    ("dot_prelu_tf2.11", "tf2.11", f_dot_prelu),
    # The same siamese model with its shared Embedding -> LSTM as a nested model called on
    # both texts (quiver reads the nested file, the reference runs the flat one: see
    # nested_writer.py).
    ("nested_sequential_called_twice_k3.8_keras", "k3.8-keras", f_two_texts,
     {"nest": ("Sequential", ["embedding", "lstm"])}),
    ("nested_functional_called_twice_tf2.11", "tf2.11", f_two_texts,
     {"nest": ("Functional", ["embedding", "lstm"])}),
    ("multi_input_transformer_positions_k3.8_keras", "k3.8-keras", f_transformer_positions),
    ("multi_input_transformer_positions_tf2.11", "tf2.11", f_transformer_positions),
    ("attention_additive_qvk_masked_k3.8_h5", "k3.8-h5",
     f_attention("AdditiveAttention", True, three=True, use_scale=True)),
    # embeddings and masking
    ("emb_nomask_lstm_k2.2.4", "k2.2.4", seq(emb(False), lstm_k2(), dense(1, "sigmoid"))),
    ("masking_layer_tf2.11", "tf2.11", seq(emb(False), ("Masking", {"mask_value": 0.0}),
                                            rnn("LSTM", recurrent_activation="sigmoid"),
                                            dense(2))),
    ("emb_flatten_dense_k2.2.4", "k2.2.4", seq(emb(False), ("Flatten", {}), dense(2))),
    ("mask_through_dense_tf2.11", "tf2.11", seq(emb(True), dense(4, "tanh"),
                                                 rnn("LSTM", recurrent_activation="sigmoid"),
                                                 dense(2))),
    ("noise_dropout_layers_tf2.4", "tf2.4", seq(
        emb(True), ("Dropout", {"rate": 0.5}), ("SpatialDropout1D", {"rate": 0.3}),
        ("GaussianNoise", {"stddev": 0.2}), ("GaussianDropout", {"rate": 0.2}),
        ("AlphaDropout", {"rate": 0.1}), rnn("GRU", recurrent_activation="sigmoid",
                                             reset_after=False), dense(2))),
    ("noise_dropout_layers_k3.8_keras", "k3.8-keras", seq(
        emb(True), ("SpatialDropout1D", {"rate": 0.3}), ("GaussianNoise", {"stddev": 0.2}),
        rnn("LSTM", recurrent_activation="sigmoid"), ("Dropout", {"rate": 0.5}), dense(2))),
    # recurrent layers
    ("gru_reset_after_false_k2.2.4", "k2.2.4", seq(emb(True), rnn(
        "GRU", recurrent_activation="hard_sigmoid", reset_after=False), dense(1, "sigmoid"))),
    ("gru_no_reset_after_key_k2.1.6", "k2.1.6", seq(emb(True), rnn(
        "GRU", recurrent_activation="hard_sigmoid", return_sequences=True),
        rnn("GRU", recurrent_activation="hard_sigmoid", go_backwards=True), dense(2))),
    ("gru_reset_after_true_k2.3.1", "k2.3.1", seq(emb(True), rnn(
        "GRU", recurrent_activation="sigmoid", reset_after=True), dense(1, "sigmoid"))),
    ("gru_reset_after_true_tf2.11", "tf2.11", seq(emb(True), rnn(
        "GRU", recurrent_activation="sigmoid", reset_after=True), dense(2))),
    ("gru_reset_after_true_k3.8_keras", "k3.8-keras", seq(emb(False), rnn(
        "GRU", recurrent_activation="sigmoid", reset_after=True), dense(2))),
    ("simple_rnn_masked_tf2.4", "tf2.4", seq(emb(True), rnn("SimpleRNN"), dense(2))),
    ("simple_rnn_relu_k3.8_h5", "k3.8-h5", seq(emb(False), rnn("SimpleRNN", activation="relu"),
                                               dense(2))),
    ("cudnn_lstm_k2.2.4", "k2.2.4", seq(emb(False), rnn("CuDNNLSTM"), dense(2))),
    ("cudnn_gru_k2.2.4", "k2.2.4", seq(emb(False), rnn("CuDNNGRU"), dense(2))),
    ("cudnn_lstm_tf1.15", "tf1.15", seq(emb(False), rnn("CuDNNLSTM", return_sequences=True),
                                        rnn("CuDNNGRU"), dense(2))),
    ("stack_return_sequences_k2.3.1", "k2.3.1", seq(
        emb(True), rnn("LSTM", return_sequences=True, recurrent_activation="sigmoid"),
        rnn("GRU", return_sequences=True, reset_after=False, recurrent_activation="sigmoid"),
        rnn("SimpleRNN"), dense(2))),
    ("stack_return_sequences_k3.8_keras", "k3.8-keras", seq(
        emb(True), rnn("GRU", return_sequences=True, reset_after=True),
        rnn("LSTM", return_sequences=True), rnn("LSTM"), dense(2))),
    ("go_backwards_lstm_tf2.11", "tf2.11", seq(emb(True), rnn(
        "LSTM", go_backwards=True, recurrent_activation="sigmoid"), dense(2))),
    ("go_backwards_gru_seq_k2.2.4", "k2.2.4", seq(emb(True), rnn(
        "GRU", go_backwards=True, return_sequences=True, reset_after=False,
        recurrent_activation="hard_sigmoid"), rnn("LSTM", recurrent_activation="hard_sigmoid"),
        dense(2))),
    ("sequence_output_lstm_k2.2.4", "k2.2.4", seq(emb(True), lstm_k2(return_sequences=True))),
    ("return_state_lstm_tf2.11", "tf2.11", f_return_state("LSTM")),
    ("return_state_gru_k3.8_keras", "k3.8-keras", f_return_state("GRU")),
    ("hard_sigmoid_lstm_k3.8_h5", "k3.8-h5", seq(emb(True), rnn(
        "LSTM", recurrent_activation="hard_sigmoid"), dense(2))),
    ("hard_sigmoid_lstm_k2.0.8", "k2.0.8", seq(emb(False), lstm_k2(), dense(2))),
    # Bidirectional
    ("bidi_concat_stack_k2.3.1", "k2.3.1", lambda n: n.chain(
        emb(True), bidi(n, "LSTM", "concat", return_sequences=True,
                        recurrent_activation="sigmoid"),
        bidi(n, "LSTM", "concat", recurrent_activation="sigmoid"), dense(2))),
    ("bidi_sum_k2.2.4", "k2.2.4", lambda n: n.chain(
        emb(True), bidi(n, "GRU", "sum", reset_after=False, recurrent_activation="hard_sigmoid"),
        dense(2))),
    ("bidi_mul_tf2.11", "tf2.11", lambda n: n.chain(
        emb(True), bidi(n, "LSTM", "mul", recurrent_activation="sigmoid"), dense(2))),
    ("bidi_ave_k3.8_keras", "k3.8-keras", lambda n: n.chain(
        emb(True), bidi(n, "GRU", "ave", reset_after=True, recurrent_activation="sigmoid"),
        dense(2))),
    ("bidi_k2.0.8_unscoped_names", "k2.0.8", lambda n: n.chain(
        emb(True), bidi(n, "LSTM", "concat", recurrent_activation="hard_sigmoid"), dense(2))),
    ("bidi_seq_output_k2.2.4", "k2.2.4", lambda n: n.chain(
        emb(True), bidi(n, "LSTM", "concat", return_sequences=True,
                        recurrent_activation="hard_sigmoid"),
        ("TimeDistributed", {"layer": n.inner("Dense", units=2, activation="sigmoid")}))),
    ("bidi_seq_output_tf2.11", "tf2.11", lambda n: n.chain(
        emb(True), bidi(n, "LSTM", "concat", return_sequences=True,
                        recurrent_activation="sigmoid"),
        ("TimeDistributed", {"layer": n.inner("Dense", units=2, activation="sigmoid")}))),
    ("bidi_seq_gmp_tf2.4", "tf2.4", lambda n: n.chain(
        emb(True), bidi(n, "GRU", "concat", return_sequences=True, reset_after=False,
                        recurrent_activation="sigmoid"),
        ("GlobalMaxPooling1D", {}), dense(2))),
    ("bidi_none_concat_tf2.11", "tf2.11", f_bidi_none("Concatenate")),
    ("bidi_none_add_k3.8_h5", "k3.8-h5", f_bidi_none("Add")),
    ("bidi_return_state_tf2.4", "tf2.4", f_bidi_state),
    ("bidi_cudnn_lstm_k2.2.4", "k2.2.4", lambda n: n.chain(
        emb(False), ("Bidirectional", dict(layer=n.inner("CuDNNLSTM", units=U),
                                           merge_mode="concat")), dense(2))),
    # TimeDistributed, pooling, convolution
    ("timedistributed_gap_masked_tf2.11", "tf2.11", lambda n: n.chain(
        emb(True), ("TimeDistributed", {"layer": n.inner("Dense", units=4, activation="relu")}),
        ("GlobalAveragePooling1D", {}), dense(2))),
    ("gap_masked_k2.3.1", "k2.3.1", seq(emb(True), rnn("LSTM", return_sequences=True,
                                                      recurrent_activation="sigmoid"),
                                        ("GlobalAveragePooling1D", {}), dense(2))),
    ("gap_masked_k3.8_keras", "k3.8-keras", seq(emb(True), ("GlobalAveragePooling1D", {}),
                                                dense(2))),
    ("gap_unmasked_k2.2.4", "k2.2.4", seq(emb(False), ("GlobalAveragePooling1D", {}), dense(2))),
    ("conv_valid_stride2_maxpool_k2.3.1", "k2.3.1", seq(
        emb(False), ("Conv1D", dict(filters=4, kernel_size=[3], strides=[2], padding="valid",
                                    dilation_rate=[1], activation="relu")),
        ("MaxPooling1D", dict(pool_size=[2], strides=[1], padding="valid")), ("Flatten", {}),
        dense(2))),
    ("conv_same_dilation2_avgpool_tf2.11", "tf2.11", seq(
        emb(False), ("Conv1D", dict(filters=4, kernel_size=[3], strides=[1], padding="same",
                                    dilation_rate=[2], activation="elu")),
        ("AveragePooling1D", dict(pool_size=[3], strides=[2], padding="same")),
        ("GlobalMaxPooling1D", {}), dense(2))),
    ("conv_same_stride2_k3.8_h5", "k3.8-h5", seq(
        emb(False), ("Conv1D", dict(filters=4, kernel_size=[4], strides=[2], padding="same",
                                    dilation_rate=[1], activation="relu")),
        ("MaxPooling1D", dict(pool_size=[2], strides=[2], padding="same")), ("Flatten", {}),
        dense(2))),
    ("conv_causal_dilation2_k3.8_keras", "k3.8-keras", seq(
        emb(False), ("Conv1D", dict(filters=4, kernel_size=[3], strides=[1], padding="causal",
                                    dilation_rate=[2], activation="tanh")),
        ("GlobalAveragePooling1D", {}), dense(2))),
    ("conv_causal_stride2_tf2.4", "tf2.4", seq(
        emb(False), ("Conv1D", dict(filters=3, kernel_size=[2], strides=[2], padding="causal",
                                    dilation_rate=[1], activation="linear")),
        ("Flatten", {}), dense(2))),
    ("conv_masked_input_tf2.11", "tf2.11", seq(
        emb(True), ("Conv1D", dict(filters=4, kernel_size=[3], strides=[1], padding="valid",
                                   dilation_rate=[1], activation="relu")),
        ("GlobalMaxPooling1D", {}), dense(2))),
    # normalisation and shape layers
    ("batchnorm_dense_k2.2.4", "k2.2.4", seq(
        emb(False), ("Flatten", {}), dense(8, "linear"),
        ("BatchNormalization", dict(axis=-1, epsilon=1e-3, center=True, scale=True)),
        ("Activation", {"activation": "relu"}), dense(2))),
    ("batchnorm_conv_tf2.11", "tf2.11", seq(
        emb(False), ("Conv1D", dict(filters=4, kernel_size=[3], strides=[1], padding="same",
                                    dilation_rate=[1], activation="linear")),
        ("BatchNormalization", dict(axis=-1, epsilon=1e-3, center=True, scale=True)),
        ("GlobalMaxPooling1D", {}), dense(2))),
    ("layernorm_lstm_k3.8_keras", "k3.8-keras", seq(
        emb(False), ("LayerNormalization", dict(axis=[-1], epsilon=1e-3, center=True,
                                                scale=True)),
        rnn("LSTM"), dense(2))),
    ("repeatvector_tf2.4", "tf2.4", seq(
        emb(False), rnn("LSTM", recurrent_activation="sigmoid"), ("RepeatVector", {"n": 3}),
        rnn("GRU", reset_after=False, recurrent_activation="sigmoid"), dense(2))),
    ("reshape_permute_k2.2.4", "k2.2.4", seq(
        emb(False), ("Permute", {"dims": [2, 1]}), dense(4, "tanh"),
        ("Reshape", {"target_shape": [4, E]}), ("Permute", {"dims": [2, 1]}), ("Flatten", {}),
        dense(2))),
    ("permute_flatten_tf2.11", "tf2.11", seq(
        emb(False), ("Permute", {"dims": [2, 1]}), ("Flatten", {}), dense(2))),
    ("reshape_flatten_tf2.11", "tf2.11", seq(
        emb(False), ("Reshape", {"target_shape": [5, 2 * E]}), ("Flatten", {}), dense(2))),
    ("permute_dense_tf2.11", "tf2.11", seq(
        emb(False), ("Permute", {"dims": [2, 1]}), dense(4, "linear"), ("Flatten", {}),
        dense(2))),
    # options: no bias, BatchNormalization without scale/center, variable length, int32 input
    ("no_bias_dense_conv_lstm_tf2.11", "tf2.11", seq(
        emb(False), ("Conv1D", dict(filters=4, kernel_size=[3], strides=[1], padding="same",
                                    dilation_rate=[1], activation="relu", use_bias=False)),
        rnn("LSTM", use_bias=False, recurrent_activation="sigmoid"),
        ("Dense", dict(units=2, activation="softmax", use_bias=False)))),
    ("no_bias_gru_k3.8_keras", "k3.8-keras", seq(
        emb(True), rnn("GRU", use_bias=False, reset_after=True), dense(2))),
    ("batchnorm_no_scale_center_k3.8_h5", "k3.8-h5", seq(
        emb(False), ("Flatten", {}), dense(6, "linear"),
        ("BatchNormalization", dict(axis=-1, epsilon=1e-3, center=False, scale=False)),
        dense(4, "linear"), ("BatchNormalization", dict(axis=-1, epsilon=0.01, center=True,
                                                        scale=False)),
        ("LayerNormalization", dict(axis=[-1], epsilon=1e-5, center=False, scale=True)),
        dense(2))),
    ("variable_length_tf2.11", "tf2.11", seq(emb(True), rnn("GRU", reset_after=True), dense(2)),
     {"dynamic_len": True}),
    ("variable_length_k3.8_keras", "k3.8-keras", seq(
        emb(False), ("Conv1D", dict(filters=4, kernel_size=[3], strides=[1], padding="same",
                                    dilation_rate=[1], activation="relu")),
        ("GlobalMaxPooling1D", {}), dense(2)), {"dynamic_len": True}),
    ("variable_length_k2.2.4", "k2.2.4", LSTM_BASE, {"dynamic_len": True}),
    ("int32_input_functional_k2.0.8", "k2.0.8", f_merge("Add"), {"input_dtype": "int32"}),
    ("int32_input_functional_k3.8_keras", "k3.8-keras", f_textcnn, {"input_dtype": "int32"}),
    # bigger sizes (panel / blocked GEMM paths)
    ("big_bilstm_stack_tf2.11", "tf2.11", lambda n: n.chain(
        emb(True, 300, 24), bidi(n, "LSTM", "concat", 32, return_sequences=True,
                                 recurrent_activation="sigmoid"),
        bidi(n, "LSTM", "concat", 16, recurrent_activation="sigmoid"), dense(16, "relu"),
        dense(5, "sigmoid")), {"T": 40, "V": 300}),
    ("big_gru_reset_after_k3.8_keras", "k3.8-keras", seq(
        emb(True, 300, 24), rnn("GRU", 48, reset_after=True), dense(3)), {"T": 40, "V": 300}),
    ("big_textcnn_k2.3.1", "k2.3.1", seq(
        emb(False, 300, 32), ("Conv1D", dict(filters=64, kernel_size=[5], strides=[1],
                                             padding="valid", dilation_rate=[1],
                                             activation="relu")),
        ("MaxPooling1D", dict(pool_size=[2], strides=[2], padding="valid")),
        ("Conv1D", dict(filters=32, kernel_size=[3], strides=[1], padding="same",
                        dilation_rate=[1], activation="relu")),
        ("GlobalMaxPooling1D", {}), dense(32, "relu"), dense(1, "sigmoid")), {"T": 40, "V": 300}),
    ("big_lstm_k2.2.4", "k2.2.4", seq(emb(True, 300, 24), lstm_k2(units=64), dense(3)),
     {"T": 40, "V": 300}),
    ("reshape_permute_k3.8_keras", "k3.8-keras", seq(
        emb(False), ("Reshape", {"target_shape": [5, 2 * E]}), ("Permute", {"dims": [2, 1]}),
        ("GlobalMaxPooling1D", {}), dense(2))),
    # activations
    ("activations_k2.2.4", "k2.2.4", seq(
        emb(False), ("Flatten", {}), dense(8, "elu"), dense(8, "selu"), dense(8, "softsign"),
        dense(8, "softplus"), dense(8, "hard_sigmoid"), dense(8, "relu"), dense(8, "tanh"),
        dense(8, "linear"), dense(4, "sigmoid"), ("Activation", {"activation": "softmax"}))),
    ("activations_tf2.11", "tf2.11", seq(
        emb(False), ("Flatten", {}), dense(8, "swish"), dense(8, "gelu"), dense(8, "exponential"),
        dense(8, "hard_sigmoid"), dense(8, "selu"), ("Activation", {"activation": "tanh"}),
        dense(3))),
    ("activations_k3.8_keras", "k3.8-keras", seq(
        emb(False), ("Flatten", {}), dense(8, "relu6"), dense(8, "leaky_relu"), dense(8, "silu"),
        dense(8, "gelu"), dense(8, "hard_sigmoid"), dense(8, "exponential"), dense(8, "softplus"),
        ("Activation", {"activation": "softsign"}), dense(3))),
    ("activations_k3.8_h5", "k3.8-h5", seq(
        emb(False), ("Flatten", {}), dense(8, "relu6"), ("Activation", {"activation": "silu"}),
        dense(8, "hard_sigmoid"), ("Activation", {"activation": "leaky_relu"}), dense(3))),
]


def make_inputs(rng, t, v):
  """12 rows: full, pre-padded, post-padded, all zeros, zeros inside, repeats, top ids."""
  rows = []
  full = lambda n: [int(x) for x in rng.integers(1, v, n)]
  rows += [full(t), full(t)]
  for n in (1, t // 2, t - 2):
    rows.append([0] * (t - n) + full(n))
  for n in (3, t - 1):
    rows.append(full(n) + [0] * (t - n))
  rows.append([0] * t)
  r = full(t)
  r[2], r[5], r[6] = 0, 0, 0
  rows.append(r)
  rows.append([0, 0] + full(3) + [0] + full(t - 6))
  rows.append([7] * t)
  rows.append([v - 1] * (t // 2) + [v - 2] * (t - t // 2))
  return rows


def build_case(entry, out_dir):
  name, layout_key, builder = entry[:3]
  opts = entry[3] if len(entry) > 3 else {}
  layout = model_writer.LAYOUTS[layout_key]
  seed = sum(ord(c) * (i + 1) for i, c in enumerate(name)) % (2 ** 31)
  t, v = opts.get("T", T), opts.get("V", V)
  net = Net(name.replace(".", "_"), t, v, seed)
  net.dynamic_len = opts.get("dynamic_len", False)
  if "input_dtype" in opts:
    net.nodes[0].core["dtype"] = opts["input_dtype"]
  builder(net)
  net.assign_names(layout.style)
  if name.startswith("masking_layer"):
    net.nodes[1].weights[0][0, :] = 0.0  # id 0 -> zero vector, so Masking sees padding
  folder = os.path.join(out_dir, name)
  os.makedirs(folder, exist_ok=True)
  model, arch = model_writer.write(net, layout, folder, split_layer_names=opts.get("split"))
  read_by_quiver = model
  if "nest" in opts:
    kind, inner = opts["nest"]
    read_by_quiver = os.path.join(folder, "nested" + os.path.splitext(model)[1])
    nested_writer.write_nested(model, read_by_quiver, layout, inner, kind, t)
  if len(net.inputs) > 1:
    inputs = named_rows(net, np.random.default_rng(seed + 1), t, v)
  else:
    inputs = make_inputs(np.random.default_rng(seed + 1), t, v)
  with open(os.path.join(folder, "inputs.jsonl"), "w") as f:
    for row in inputs:
      f.write(json.dumps(row) + "\n")
  return {"name": name, "layout": layout_key, "keras_version": layout.version,
          "model": os.path.basename(read_by_quiver),
          "architecture": arch and os.path.basename(arch)}, \
      (name, model, arch, inputs)


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("out_dir")
  ap.add_argument("--only", default="")
  ap.add_argument("--engine", default="auto", choices=["auto", "tfjs", "numpy"])
  args = ap.parse_args()
  os.makedirs(args.out_dir, exist_ok=True)
  metas, specs = [], []
  for entry in CASES:
    if args.only in entry[0]:
      meta, spec = build_case(entry, args.out_dir)
      metas.append(meta)
      specs.append(spec)
  results = reference_predict.predict_many(specs, args.engine, measure_departures=True)
  bad = 0
  for meta in metas:
    r = results[meta["name"]]
    folder = os.path.join(args.out_dir, meta["name"])
    meta.update({k: r[k] for k in ("engine", "reasons", "agreement", "tfjs_departure", "error",
                                   "tfjs_error", "numpy_error") if k in r})
    if "outputs" in r:
      with open(os.path.join(folder, "expected.jsonl"), "w") as f:
        for row in r["outputs"]:
          f.write(json.dumps(row) + "\n")
    else:
      bad += 1
    with open(os.path.join(folder, "case.json"), "w") as f:
      json.dump(meta, f, indent=1)
    print(reference_predict.describe(meta["name"], r))
  with open(os.path.join(args.out_dir, "manifest.json"), "w") as f:
    json.dump(metas, f, indent=1)
  print("%d cases, %d without reference outputs" % (len(metas), bad))
  return 1 if bad else 0


if __name__ == "__main__":
  sys.exit(main())
