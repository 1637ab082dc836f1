#!/usr/bin/env bash
# The memory / speed / accuracy table of the item-table formats (docs/compression.md):
#  - bytes per row, and the whole table for ML-100K (1,682 items) and W2 (1,000,000 items), d 64;
#  - the embedding-server's resident memory serving W2 in each format (alone, after loading);
#  - lookup latency of 1,000 random ids from that server (p50 / p99, every format in this run);
#  - full-ranking test NDCG@10 and HR@10 on ML-100K under both protocols, for three trained
#    models (seeds 1-3) converted after training, with the difference from f32;
#  - the whole suite's resident memory serving W2 from the f32 and the int8 row-wise table, per process;
#  - W1 in-process p50 with f32 and with int8 dense layers, alternating (recctl bench-model --compare-dense);
# then a plot of table memory against NDCG@10 (docs/compression.png). QR appears twice: fitted to
# the f32 models after training (qr-4), and trained as QR from the start (qr-4-trained: QR_MODELS,
# from `TABLE=qr QR_DIVIDER=4 scripts/train-seeds.sh`; its W2 rows are qr-4's, W2 being untrained).
#
#   scripts/bench-compression.sh     env: MODELS (trained f32 models, default run/seeds/model-{1,2,3}.safetensors
#                                         from scripts/train-seeds.sh), QR_MODELS (trained QR models, default
#                                         run/seeds-qr4/model-{1,2,3}.safetensors; skipped when absent), PORT (6055)
. "$(dirname "$0")/lib.sh"
build_release
out=run/compression
mkdir -p "$out"
formats=(f32 f16 bf16 int8-rowwise int4-rowwise pruned-50 pruned-80 pruned-95 qr-4)
# recctl compress flags for a format name of this script (pruned-NN: magnitude pruning of NN%;
# qr-D: quotient-remainder with divider D).
flags_for() {
  case $1 in
    pruned-*) echo "--format pruned-csr --prune 0.${1#pruned-}" ;;
    qr-*) echo "--format qr --qr-divider ${1#qr-}" ;;
    *) echo "--format $1" ;;
  esac
}
read -r -a models <<<"${MODELS:-run/seeds/model-1.safetensors run/seeds/model-2.safetensors run/seeds/model-3.safetensors}"
for model in "${models[@]}"; do
  [ -f "$model" ] || { echo "missing $model: train three seeds first (scripts/train-seeds.sh, see docs/training.md) or set MODELS" >&2; exit 1; }
done
port=${PORT:-6055}
w2=run/w2.safetensors
[ -f "$w2" ] || "$bin/recctl" init-model --output "$w2" --items 1000000 --dim 64 --layers 2 --heads 2 --max-history 500 --seed 2 >/dev/null

echo "== converting (recctl compress)"
for format in "${formats[@]}"; do
  # shellcheck disable=SC2046
  "$bin/recctl" compress --model "$w2" --output "$out/w2-$format.safetensors" $(flags_for "$format") | tee "$out/w2-$format.compress.txt"
  for index in "${!models[@]}"; do
    # shellcheck disable=SC2046
    "$bin/recctl" compress --model "${models[$index]}" --output "$out/ml-$((index + 1))-$format.safetensors" $(flags_for "$format") \
      >"$out/ml-$((index + 1))-$format.compress.txt"
  done
done
read -r -a qr_models <<<"${QR_MODELS:-run/seeds-qr4/model-1.safetensors run/seeds-qr4/model-2.safetensors run/seeds-qr4/model-3.safetensors}"
if [ -f "${qr_models[0]}" ]; then
  formats+=(qr-4-trained)
  for index in "${!qr_models[@]}"; do
    # The trained table is QR already: refitting it is exact and reports its size.
    "$bin/recctl" compress --model "${qr_models[$index]}" --output "$out/ml-$((index + 1))-qr-4-trained.safetensors" --format qr \
      --qr-divider 4 >"$out/ml-$((index + 1))-qr-4-trained.compress.txt"
  done
fi

rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }

# Waits until an embedding-server answers a lookup (it has loaded its table).
wait_lookup() {
  for _ in $(seq 1 600); do
    "$bin/recctl" bench-lookup --embedding "$1" --items 1000 --ids 1 --lookups 1 >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

echo "== W2: embedding-server memory and lookup latency per format"
for format in "${formats[@]}"; do
  if [ "$format" = qr-4-trained ]; then
    for file in rss lookup.json compress.txt; do cp "$out/w2-qr-4.$file" "$out/w2-$format.$file"; done
    continue
  fi
  endpoint="tcp://127.0.0.1:$port"
  "$bin/embedding-server" --model "$out/w2-$format.safetensors" --bind "$endpoint" --reload-interval-ms 0 --log-level warning &
  server=$!
  wait_lookup "$endpoint" || { echo "embedding-server ($format) did not answer" >&2; kill "$server"; exit 1; }
  echo "$(rss_kib "$server")" >"$out/w2-$format.rss"
  "$bin/recctl" bench-lookup --embedding "$endpoint" --items 1000000 --ids 1000 --lookups 300 --json >"$out/w2-$format.lookup.json"
  kill "$server"
  wait "$server" 2>/dev/null || true
  echo "$format: RSS $(($(cat "$out/w2-$format.rss") / 1024)) MiB"
done

echo "== ML-100K: test metrics of the three trained models in each format"
for format in "${formats[@]}"; do
  for index in "${!models[@]}"; do
    "$bin/recctl" eval --model "$out/ml-$((index + 1))-$format.safetensors" --json >"$out/ml-$((index + 1))-$format.eval.json"
  done
done

echo "== W2: the whole suite's memory (1 encoder, 2 scorers, gateway, embedding-server) after a short load"
suite_rss() {
  local format=$1 total=0
  start_suite "$out/suite-$format.log" --model "$out/w2-$format.safetensors" --scorers 2 --port "$port" --log-level warning
  "$bin/recctl" bench --gateway "tcp://127.0.0.1:$port" --items 1000000 --seconds 10 --concurrency 2 --history-length 500 \
    --candidates 5000 -k 100 --zipf 1.05 --json >"$out/suite-$format.bench.json"
  : >"$out/suite-$format.processes"
  for pid in $(pgrep -P "$suite_pid"); do
    total=$((total + $(rss_kib "$pid")))
    echo "$(cat "/proc/$pid/comm") $(rss_kib "$pid")" >>"$out/suite-$format.processes"
  done
  stop_suite
  echo "$total" >"$out/suite-$format.rss"
  echo "$format suite: $((total / 1024)) MiB"
}
suite_rss f32
suite_rss int8-rowwise

echo "== W1 in-process: the dense layers in f32 against int8 (recctl bench-model --compare-dense)"
"$bin/recctl" bench-model --compare-dense --naive-iterations 0 | tee "$out/dense-w1.txt"

venv=run/venv-plot
"$venv/bin/python" -c 'import matplotlib' 2>/dev/null || { python3 -m venv "$venv" && "$venv/bin/pip" install -q matplotlib; }
"$venv/bin/python" scripts/plot_compression.py "$out" "${#models[@]}" "${formats[@]}"
