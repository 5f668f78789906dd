"""Keras' TextVectorization re-implemented in Python, rule by rule, for golden values.

Written from keras-team/keras@3422977 (Keras 3) keras/src/layers/preprocessing/
text_vectorization.py (TV) and index_lookup.py (IL); tf.keras 2.13-2.15 has the same code in
keras/layers/preprocessing/. Shares nothing with quiver's C++ (src/text/text_vectorization.cc).
"""

import re

import numpy as np

# TV line 607: the regex tf.strings.regex_replace removes (standardize *strip_punctuation*).
STRIP_REGEX = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
MASK, OOV = "", "[UNK]"


def standardize(text, mode):
  """TV lines 596-609. tf.strings.lower(encoding='') lowers ASCII A-Z only (absl
  AsciiStrToLower), so 'É' stays; the regex removes the 32 ASCII punctuation characters.
  A callable (TV lines 603-605: `inputs = self._standardize(inputs)`) replaces the step."""
  if callable(mode):
    return mode(text)
  if mode in ("lower", "lower_and_strip_punctuation"):
    text = re.sub(r"[A-Z]", lambda m: m.group(0).lower(), text)
  if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
    text = re.sub(STRIP_REGEX, "", text)
  return text


def split(text, mode):
  """TV lines 629-636: tf.strings.split(x) splits on runs of ASCII whitespace (absl
  ascii_isspace: space \\t \\n \\v \\f \\r; a no-break space is not one) and never yields an
  empty token; tf.strings.unicode_split(x, 'UTF-8') yields code points; None keeps the text;
  a callable replaces the step (TV lines 634-636: `inputs = self._split(inputs)`)."""
  if callable(mode):
    return mode(text)
  if mode is None:
    return [text]
  if mode == "character":
    return list(text)
  return [t for t in re.split(r"[ \t\n\x0b\x0c\r]+", text) if t]


def ngrams(tokens, widths):
  """TV lines 329-332 (an int n means 1..n) and 641-644: tf.strings.ngrams with separator ' '
  gives all n-grams of the first width, then of the next (none when the text is shorter)."""
  if widths is None:
    return tokens
  if isinstance(widths, int):
    widths = list(range(1, widths + 1))
  out = []
  for w in widths:
    out += [" ".join(tokens[i:i + w]) for i in range(len(tokens) - w + 1)]
  return out


class TextVectorization:
  def __init__(self, vocabulary, output_mode="int", standardize="lower_and_strip_punctuation",
               split="whitespace", ngrams=None, output_sequence_length=None, idf_weights=None,
               max_tokens=None, pad_to_max_tokens=False):
    self.mode, self.std, self.split_mode, self.ngrams = output_mode, standardize, split, ngrams
    self.length = output_sequence_length
    # IL lines 1019-1027: int mode reserves 0 for the mask token and 1 for OOV; other modes
    # have OOV at 0. set_vocabulary (IL 498-508) strips the special tokens when the
    # vocabulary starts with them.
    special = [MASK, OOV] if output_mode == "int" else [OOV]
    found = list(vocabulary[:len(special)]) == special
    terms = list(vocabulary[len(special):]) if found else list(vocabulary)
    self.start = len(special)
    self.index = {t: i + self.start for i, t in enumerate(terms)}
    self.size = self.start + len(terms)
    self.depth = max_tokens if pad_to_max_tokens else self.size  # IL 826-831
    if output_mode == "tf_idf":
      w = np.asarray(idf_weights, dtype=np.float64)
      if not found:  # IL 578-582: front-pad with the mean
        w = np.concatenate([np.full(self.start, w.mean()), w])
      w = np.concatenate([w, np.zeros(self.depth - len(w))])  # IL 586-596
      self.idf = w.astype(np.float32)

  def tokens(self, text):
    return ngrams(split(standardize(text, self.std), self.split_mode), self.ngrams)

  def lookup(self, token):
    """IL _lookup_dense: OOV -> the OOV index; the mask token -> 0 in int mode and int64
    max (dropped by the bincount) otherwise (IL lines 262-268, 872-874)."""
    if token == MASK:
      return 0 if self.mode == "int" else None
    return self.index.get(token, 1 if self.mode == "int" else 0)

  def __call__(self, text):
    ids = [self.lookup(t) for t in self.tokens(text)]
    if self.mode == "int":
      # TV lines 657-684: ragged -> dense, padded with 0 / cut at the end.
      if self.length is not None:
        ids = (ids + [0] * self.length)[:self.length]
      return ids
    out = np.zeros(self.depth, dtype=np.float32)
    for j in ids:
      if j is None or j >= self.depth:
        continue
      out[j] = 1.0 if self.mode == "multi_hot" else out[j] + 1.0
    if self.mode == "tf_idf":  # IL lines 848-856: count * idf_weights
      out = out * self.idf
    return out
