#!/usr/bin/env bash
# Trains on MovieLens-100K: starts an embedding-server as the parameter server (from a seeded
# random initial model), runs TRAINERS trainer processes against it at once (data parallel: each a
# share of the users; they share item rows and dense weights through the server), and leaves the
# model worker 0 exported in OUTPUT.
#
#   scripts/train.sh [extra trainer flags...]
#   env: OUTPUT (run/model.safetensors), TRAINERS (2), SEED (1), EPOCHS (30), PORT (9560),
#        MAX_HISTORY (50), LOG_DIR (run/train), ROW_LEARNING_RATE (the server's row-wise Adagrad rate, 0.05)
# Assumes a release build and data/ml-100k (scripts/fetch-movielens.sh).
. "$(dirname "$0")/lib.sh"
find_release
output=${OUTPUT:-run/model.safetensors}
trainers=${TRAINERS:-2}
seed=${SEED:-1}
port=${PORT:-9560}
logs=${LOG_DIR:-run/train}
mkdir -p "$logs" "$(dirname "$output")"
init="$logs/init-$seed.safetensors"
"$bin/recctl" init-model --output "$init" --items 1682 --dim 64 --layers 2 --heads 2 --max-history "${MAX_HISTORY:-50}" \
  --seed "$seed" --version "init-$seed" >/dev/null
lookup="tcp://127.0.0.1:$port"
push="tcp://127.0.0.1:$((port + 10))"
"$bin/embedding-server" --model "$init" --bind "$lookup" --push-bind "$push" --reload-interval-ms 0 --log-level warning \
  --learning-rate "${ROW_LEARNING_RATE:-0.05}" \
  >"$logs/embedding-server.log" 2>&1 &
server=$!
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
SECONDS=0
for worker in $(seq 0 $((trainers - 1))); do
  "$bin/trainer" --initial "$init" --embedding "$lookup" --push "$push" --output "$output" --seed "$seed" \
    --worker "$worker" --workers "$trainers" --epochs "${EPOCHS:-30}" --version "trained-$seed" "$@" >"$logs/trainer-$worker.log" 2>&1 &
  pids+=($!)
done
# Worker 0's progress on the terminal; every trainer must succeed.
tail -n +1 -f "$logs/trainer-0.log" --pid "${pids[0]}" &
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
sleep 0.2
if [ "$status" -ne 0 ]; then
  for worker in $(seq 0 $((trainers - 1))); do echo "--- trainer $worker"; tail -n 5 "$logs/trainer-$worker.log"; done
  echo "training failed" >&2
  exit "$status"
fi
echo "trained with $trainers trainer(s) in $SECONDS s; the model is $output"
