#!/usr/bin/env bash
# Accuracy of a model on the `unlisted` rows of gtzan-dev's INDEX.tsv (the 15 excerpts the
# artist filter removed; never trained on): copies them into a temporary genre/ tree and runs
# `genreplay eval` on it.
#   scripts/eval_unlisted.sh [--model PATH] [GTZAN_DIR]
set -euo pipefail
model=()
if [ "${1:-}" = "--model" ]; then model=(--model "$2"); shift 2; fi
data="${1:-../shared/data/gtzan-dev}"
bin="${GENREPLAY:-target/release/genreplay}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
data="$(cd "$data" && pwd)"
while IFS=$'\t' read -r file genre split; do
  [ "$split" = "unlisted" ] || continue
  mkdir -p "$tmp/$genre"
  cp "$data/$file" "$tmp/$genre/"
done < "$data/INDEX.tsv"
"$bin" eval "$tmp" "${model[@]}"
