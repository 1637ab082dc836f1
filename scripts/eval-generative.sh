#!/usr/bin/env bash
# Generative retrieval on MovieLens-100K over three trained models (default: the recipe's seeds in
# run/exp-long, from scripts/train-seeds.sh): semantic IDs by RQ-Kmeans and the generator trained
# through trainer processes and the parameter server, encoder frozen (scripts/train-generator.sh),
# then the test split under both full-ranking protocols: the scorer over all items, the generator alone, generation of N
# items + the scorer's re-selection (N = 50, 100, 256), most-popular, and the generator's
# recall@N. Prints each seed and mean +/- std. Results: docs/generative.md.
#
#   scripts/eval-generative.sh [trainer flags...]    env: MODELS (run/exp-long), OUT (run/generative), SEEDS ("1 2 3")
. "$(dirname "$0")/lib.sh"
find_release
scripts/fetch-movielens.sh >/dev/null
models=${MODELS:-run/exp-long}
out=${OUT:-run/generative}
mkdir -p "$out"
for seed in ${SEEDS:-1 2 3}; do
  SECONDS=0
  [ -f "$models/model-$seed.safetensors" ] || { echo "missing $models/model-$seed.safetensors (run scripts/train-seeds.sh with OUT=$models)"; exit 2; }
  SEED=$seed LOG_DIR="$out/train-$seed" scripts/train-generator.sh "$models/model-$seed.safetensors" "$out/gen-$seed.safetensors" \
    "$@" >"$out/train-$seed.txt"
  "$bin/recctl" eval --model "$out/gen-$seed.safetensors" --generate 50,100,256 --json >"$out/eval-$seed.json"
  echo "seed $seed: $(grep 'best epoch' "$out/train-$seed/trainer-0.log") in $SECONDS s"
done
python3 - "$out" ${SEEDS:-1 2 3} <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
runs = [json.load(open(f"{out}/eval-{s}.json")) for s in seeds]
def stat(values):
    return f"{statistics.mean(values):.4f} +/- {statistics.stdev(values):.4f}" if len(values) > 1 else f"{values[0]:.4f}"
names = [r["ranker"] for r in runs[0]["results"]]
print(f"{'ranker':24} {'NDCG@10 seen kept':>22} {'HR@10 seen kept':>22} {'NDCG@10 seen excluded':>22}")
for index, name in enumerate(names):
    rows = [run["results"][index] for run in runs]
    label = "scorer over all items" if name.startswith("model ") else name
    print(f"{label:24} {stat([r['full']['ndcg'] for r in rows]):>22} {stat([r['full']['hr'] for r in rows]):>22} "
          f"{stat([r['full_seen_excluded']['ndcg'] for r in rows]):>22}")
scorer = [run["results"][1]["full"]["ndcg"] for run in runs]
for index, name in enumerate(names):
    if name.startswith("generate"):
        ratio = statistics.mean(run["results"][index]["full"]["ndcg"] / s for run, s in zip(runs, scorer))
        print(f"{name}: NDCG@10 (seen kept) {100 * (ratio - 1):+.1f}% against the scorer over all items (mean of per-seed ratios)")
for n in runs[0]["generator_recall"]:
    print(f"generator recall@{n}: {stat([run['generator_recall'][n] for run in runs])}")
PY
