#!/usr/bin/env bash
# Workload W1's shape on a random model (history 200, 1,000 candidates, d 64, 2 layers, 2 heads,
# k 10): in-process amortized vs naive, then gateway end-to-end at concurrency 1 and 8 with 2
# scorers, each with the in-process baseline measured in the same process. Results: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${BENCH_SECONDS:-15}
scripts/install-deps.sh
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
mkdir -p run
model=run/w1-random.safetensors
"$bin/recctl" init-model --output "$model" --items 1682 --dim 64 --layers 2 --heads 2 --max-history 200 --seed 1 >/dev/null
echo "== in-process: amortized vs naive"
"$bin/recctl" bench-model --model "$model" --iterations 100 --naive-iterations 5
port=${RECSERVE_PORT:-5655}
"$bin/recctl" up --model "$model" --scorers 2 --port "$port" --log-level warning >run/bench-up.log 2>&1 &
up=$!
trap 'kill -INT $up 2>/dev/null || true; wait $up 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q '^ready' run/bench-up.log && break; sleep 0.2; done
for concurrency in 1 8; do
  echo; echo "== gateway, 2 scorers, concurrency $concurrency, ${seconds}s"
  "$bin/recctl" bench --gateway "tcp://127.0.0.1:$port" --model "$model" --seconds "$seconds" --concurrency "$concurrency"
done
