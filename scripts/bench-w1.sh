#!/usr/bin/env bash
# Workload W1's shape on a random model (history 200, 1,000 candidates, d 64, 2 layers, 2 heads,
# k 10): in-process amortized vs naive, then gateway end-to-end at concurrency 1 and 8 with 2
# scorers, each with the in-process baseline measured in the same process. Results: docs/benchmarks.md.
. "$(dirname "$0")/lib.sh"
seconds=${BENCH_SECONDS:-15}
build_release
mkdir -p run
model=run/w1-random.safetensors
"$bin/recctl" init-model --output "$model" --items 1682 --dim 64 --layers 2 --heads 2 --max-history 200 --seed 1 >/dev/null
echo "== in-process: amortized vs naive"
"$bin/recctl" bench-model --model "$model" --iterations 100 --naive-iterations 5
port=${PORT:-5655}
start_suite run/bench-up.log --model "$model" --scorers 2 --port "$port" --log-level warning
for concurrency in 1 8; do
  echo; echo "== gateway, 2 scorers, concurrency $concurrency, ${seconds}s"
  "$bin/recctl" bench --gateway "tcp://127.0.0.1:$port" --model "$model" --seconds "$seconds" --concurrency "$concurrency"
done
