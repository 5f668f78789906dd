#!/usr/bin/env bash
# tiny_model.sh QUIVER DIR: trains DIR/weather.h5 (+ DIR/weather.tokenizer.json) with
# `QUIVER train` on a small generated CSV (sentences that mention sunny weather or not):
# a model the package tests make themselves, in a few seconds.
set -euo pipefail
QUIVER=$1 DIR=$2
mkdir -p "$DIR"
words=(the day was quite very so today morning evening really)
{
  echo "text,label"
  for i in $(seq 0 119); do
    a=${words[$((i % 10))]} b=${words[$(((i * 7 + 3) % 10))]} c=${words[$(((i * 3 + 1) % 10))]}
    if [ $((i % 2)) = 0 ]; then echo "$a sunny $b $c,yes"; else echo "$a $b rainy $c,no"; fi
  done
} > "$DIR/weather.csv"
"$QUIVER" train --data "$DIR/weather.csv" --model "$DIR/weather.h5" --type cnn --epochs 2 \
  --embed-dim 8 --units 8 --seed 1 > "$DIR/train.log" 2>&1 || { cat "$DIR/train.log"; exit 1; }
