#!/usr/bin/env bash
# Trains on MovieLens-100K: starts an embedding-server as the parameter server (from a seeded
# random initial model), runs TRAINERS trainer processes against it at once (data parallel: each a
# share of the users; they share item rows and dense weights through the server), and leaves the
# model worker 0 exported in OUTPUT.
#
#   scripts/train.sh [extra trainer flags...]
#   env: OUTPUT (run/model.safetensors), TRAINERS (2), SEED (1), EPOCHS (30), PORT (9560),
#        MAX_HISTORY (50), LAYERS (2), LOG_DIR (run/train), ROW_LEARNING_RATE (the server's row-wise Adagrad rate, 0.05),
#        TABLE (f32, or qr: quotient-remainder components trained on the server), QR_DIVIDER (recctl init-model's default)
# Assumes a release build and data/ml-100k (scripts/fetch-movielens.sh).
. "$(dirname "$0")/lib.sh"
find_release
output=${OUTPUT:-run/model.safetensors}
seed=${SEED:-1}
logs=${LOG_DIR:-run/train}
mkdir -p "$logs"
init="$logs/init-$seed.safetensors"
table=(--table "${TABLE:-f32}")
[ -n "${QR_DIVIDER:-}" ] && table+=(--qr-divider "$QR_DIVIDER")
"$bin/recctl" init-model --output "$init" --items 1682 --dim 64 --layers "${LAYERS:-2}" --heads 2 --max-history "${MAX_HISTORY:-50}" \
  --seed "$seed" --version "init-$seed" "${table[@]}" >/dev/null
SECONDS=0
run_training "$init" "$output" "$logs" --learning-rate "${ROW_LEARNING_RATE:-0.05}" -- \
  --seed "$seed" --epochs "${EPOCHS:-30}" --version "trained-$seed" "$@"
echo "trained with ${TRAINERS:-2} trainer(s) in $SECONDS s; the model is $output"
