#!/usr/bin/env bash
# Trains a model's generator (generative retrieval) on MovieLens-100K through the trainer processes
# and the parameter server: semantic IDs by RQ-Kmeans over the model's item rows with a seeded
# random generator (recctl semantic-ids --random-generator), an embedding-server sharing the
# generator's weights (--shared-dense generator), and TRAINERS trainer --generator processes (the
# encoder and rows frozen). Worker 0 writes the model with the best generator (validation recall@50).
#
#   scripts/train-generator.sh MODEL OUTPUT [extra trainer flags...]
#   env: TRAINERS (2), SEED (1), EPOCHS (40), PORT (9560), LOG_DIR (run/train-generator)
# Assumes a release build and data/ml-100k (scripts/fetch-movielens.sh).
. "$(dirname "$0")/lib.sh"
find_release
[ $# -ge 2 ] || { echo "usage: scripts/train-generator.sh MODEL OUTPUT [trainer flags...]" >&2; exit 2; }
model=$1 output=$2
shift 2
seed=${SEED:-1}
logs=${LOG_DIR:-run/train-generator}
mkdir -p "$logs"
init="$logs/semantic-ids-$seed.safetensors"
"$bin/recctl" semantic-ids --model "$model" --output "$init" --seed "$seed" --random-generator >"$logs/semantic-ids.txt"
SECONDS=0
run_training "$init" "$output" "$logs" --shared-dense generator -- \
  --generator --seed "$seed" --epochs "${EPOCHS:-40}" --patience 6 --samples-per-user 12 --batch-size 32 --learning-rate 0.003 "$@"
echo "trained the generator with ${TRAINERS:-2} trainer(s) in $SECONDS s; the model is $output"
