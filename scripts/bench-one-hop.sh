#!/usr/bin/env bash
# What the single-slice route saves: W1's request shape (history 200, 1,000 candidates, k 10)
# through the gateway at concurrency 1 with ONE scorer, the suite started alternately with
# `--single-slice encoder` (history-encoder, then scorer: two round trips, keys and values through
# the gateway) and `--single-slice scorer` (the scorer encodes the history itself: one round trip),
# ROUNDS rounds of BENCH_SECONDS each. Each round's `recctl bench` also times the same requests
# in-process; the issue asks gateway p50 <= 1.1x in-process. Results: docs/benchmarks.md.
#   scripts/bench-one-hop.sh            env: ROUNDS (5), BENCH_SECONDS (8), PORT (5855)
. "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
seconds=${BENCH_SECONDS:-8}
port=${PORT:-5855}
build_release
model=run/w1-random.safetensors
"$bin/recctl" init-model --output "$model" --items 1682 --dim 64 --layers 2 --heads 2 --max-history 200 --seed 1 >/dev/null
out=run/bench-one-hop
rm -rf "$out" && mkdir -p "$out"
trap stop_suite EXIT

echo "workload: W1 shape through the gateway, concurrency 1, 1 scorer; $rounds rounds of ${seconds} s per route, alternating"
for round in $(seq 1 "$rounds"); do
  # Alternate which route goes first, so drift on this shared machine does not favour one.
  if ((round % 2)); then order=(encoder scorer); else order=(scorer encoder); fi
  for route in "${order[@]}"; do
    start_suite "$out/up-$round-$route.log" --model "$model" --scorers 1 --port "$port" --log-level warning --single-slice "$route"
    "$bin/recctl" bench --gateway "tcp://127.0.0.1:$port" --model "$model" --seconds "$seconds" --concurrency 1 \
      --json >"$out/bench-$round-$route.json"
    stop_suite
  done
  echo "round $round done"
done

python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def load(r, route): return json.load(open(f"{out}/bench-{r}-{route}.json"))
first = load(1, "scorer")
print("machine:", first["machine"])
print("workload:", first["workload"])
print(f'{"round":>5} {"two hops p50":>13} {"one hop p50":>12} {"in-process p50":>15} {"two/in-proc":>12} {"one/in-proc":>12} {"one p99":>8}')
two, one = [], []
for r in range(1, rounds + 1):
    a, b = load(r, "encoder"), load(r, "scorer")
    a50, b50 = a["latency_us"]["p50"], b["latency_us"]["p50"]
    base = statistics.median([a["in_process_p50_us"], b["in_process_p50_us"]])
    two.append(a50 / a["in_process_p50_us"]); one.append(b50 / b["in_process_p50_us"])
    print(f'{r:>5} {a50/1000:10.2f} ms {b50/1000:9.2f} ms {base/1000:12.2f} ms {two[-1]:12.2f} {one[-1]:12.2f} {b["latency_us"]["p99"]/1000:5.1f} ms')
    failed = a["failed"] + b["failed"]
    if failed: print(f"      ({failed} failed requests in this round)")
print(f"median gateway p50 / in-process p50: two hops {statistics.median(two):.2f}, one hop {statistics.median(one):.2f}")
PY
