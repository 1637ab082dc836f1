#!/usr/bin/env bash
# Workload W2 (DESIGN's large catalog): a model made by `recctl init-model` with 1,000,000 items,
# d 64, L_max 500; requests with histories of 500 and 5,000 candidates drawn from Zipf(1.05), k 100;
# the suite with 2 scorers on loopback; gateway latency at concurrency 1 and 8 with the in-process
# baseline of the same requests. Results: docs/benchmarks.md.
#
#   scripts/bench-w2.sh       env: BENCH_SECONDS (20), PORT (5855), DENSE (f32, or int8: the
#                                  dense layers of the in-process baseline and of every replica)
. "$(dirname "$0")/lib.sh"
seconds=${BENCH_SECONDS:-20}
dense=${DENSE:-f32}
build_release
mkdir -p run
model=run/w2.safetensors
[ -f "$model" ] || "$bin/recctl" init-model --output "$model" --items 1000000 --dim 64 --layers 2 --heads 2 --max-history 500 --seed 2 >/dev/null
ls -l "$model" | awk '{printf "model file: %.0f MiB\n", $5 / 1048576}'
workload=(--history-length 500 --candidates 5000 -k 100 --zipf 1.05)
echo "== in-process"
"$bin/recctl" bench-model --model "$model" "${workload[@]}" --iterations 30 --naive-iterations 0 --dense "$dense"
port=${PORT:-5855}
start_suite run/bench-w2-up.log --model "$model" --scorers 2 --port "$port" --log-level warning --dense "$dense"
for concurrency in 1 8; do
  echo; echo "== gateway, 2 scorers, concurrency $concurrency, ${seconds}s"
  "$bin/recctl" bench --gateway "tcp://127.0.0.1:$port" --model "$model" "${workload[@]}" --seconds "$seconds" \
    --concurrency "$concurrency" --deadline-ms 5000 --dense "$dense"
done
