#!/usr/bin/env bash
# Generative retrieval at catalog scale (W2: 1,000,000 items, d 64, histories of 500 drawn from
# Zipf(1.05), k 100) through the gateway with 2 scorers and 1 generator, at concurrency 1 and 8:
# generation of B = N items by beam search on the generator tier then the scorers' re-selection,
# beside scoring 5,000 given candidates, in the same run; and once, with a long deadline, scoring
# all 1M items. The model is W2's random model with random semantic IDs (3 levels x 256 codes)
# and a random generator: what is measured is serving cost, not quality (docs/generative.md has
# quality on MovieLens-100K). Also prints the tokenizer table for W2's rows.
#
#   scripts/bench-generative.sh     env: BENCH_SECONDS (15), BEAM (256), PORT (5955)
. "$(dirname "$0")/lib.sh"
seconds=${BENCH_SECONDS:-15}
beam=${BEAM:-256}
port=${PORT:-5955}
build_release
mkdir -p run
base=run/w2.safetensors
[ -f "$base" ] || "$bin/recctl" init-model --output "$base" --items 1000000 --dim 64 --layers 2 --heads 2 --max-history 500 --seed 2 >/dev/null
model=run/w2-generative.safetensors
if [ ! -f "$model" ]; then
  echo "== semantic IDs for W2's 1M rows: RQ-Kmeans beside random IDs (the tokenizer table)"
  "$bin/recctl" semantic-ids --model "$base" --output run/w2-rq.safetensors --levels 3 --codes 256
  rm -f run/w2-rq.safetensors
  "$bin/recctl" semantic-ids --model "$base" --output "$model" --levels 3 --codes 256 --method random --random-generator >/dev/null
fi
start_suite run/bench-generative-up.log --model "$model" --scorers 2 --generators 1 --port "$port" --log-level warning
gateway=tcp://127.0.0.1:$port
shape=(--history-length 500 -k 100 --zipf 1.05 --deadline-ms 5000)
out=run/bench-generative
mkdir -p "$out"
for concurrency in 1 8; do
  for what in generative given; do
    if [ "$what" = generative ]; then request=(--generate "$beam"); else request=(--candidates 5000); fi
    "$bin/recctl" bench --gateway "$gateway" --items 1000000 "${shape[@]}" "${request[@]}" --seconds "$seconds" \
      --concurrency "$concurrency" --json >"$out/$what-$concurrency.json"
  done
done
echo "== once: all 1,000,000 items scored (deadline 60 s)"
"$bin/recctl" query --gateway "$gateway" --history "$(seq -s, 0 499)" -k 100 --retrieval all-items --deadline-ms 60000 --json \
  >"$out/all-items.json"
stop_suite
python3 - "$out" "$beam" <<'PY'
import json, sys
out, beam = sys.argv[1], sys.argv[2]
first = json.load(open(f"{out}/generative-1.json"))
print("machine:", first["machine"])
print("workload: W2 (1M items), history 500 Zipf(1.05), k 100; 2 scorers, 1 generator")
print(f'{"path":42} {"conc.":>5} {"QPS":>7} {"p50 ms":>8} {"p99 ms":>8} {"failed":>6}  tiers p50 (ms)')
for concurrency in (1, 8):
    for what, label in (("generative", f"generate {beam} + scorer re-selection"), ("given", "5,000 given candidates")):
        r = json.load(open(f"{out}/{what}-{concurrency}.json"))
        tiers = " ".join(f"{k}={v/1000:.1f}" for k, v in sorted(r["tiers_p50_us"].items()) if k != "gateway_queue")
        print(f'{label:42} {concurrency:>5} {r["qps"]:7.1f} {r["latency_us"]["p50"]/1000:8.1f} {r["latency_us"]["p99"]/1000:8.1f} {r["failed"]:>6}  {tiers}')
a = json.load(open(f"{out}/all-items.json"))
t = a["timings_us"]
print(f'{"all 1,000,000 items scored (one request)":42} {1:>5} {"":>7} {t["gateway_total"]/1000:8.1f} {"":>8} {"":>6}  '
      + " ".join(f"{k}={v/1000:.1f}" for k, v in sorted(t.items()) if k != "gateway_queue"))
PY
