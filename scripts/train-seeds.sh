#!/usr/bin/env bash
# Trains the same configuration with seeds 1, 2 and 3 (scripts/train.sh: 2 trainers against the
# parameter server, early stopping on validation), evaluates each model on the test split, and
# prints every protocol's HR@10 / NDCG@10 per seed with mean and spread beside most-popular.
#
#   scripts/train-seeds.sh [trainer flags...]       env: SEEDS ("1 2 3"), EPOCHS (40), OUT (run/seeds)
. "$(dirname "$0")/lib.sh"
find_release
out=${OUT:-run/seeds}
mkdir -p "$out"
echo "flags: $*"
for seed in ${SEEDS:-1 2 3}; do
  SECONDS=0
  OUTPUT="$out/model-$seed.safetensors" TRAINERS=2 EPOCHS=${EPOCHS:-40} SEED=$seed LOG_DIR="$out/$seed" PORT=$((9800 + seed * 20)) \
    scripts/train.sh --json "$@" >"$out/train-$seed.out" 2>&1
  summary=$(python3 -c 'import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
done = next(l for l in lines if l["event"] == "done")
print("best epoch %d (valid NDCG@10 %.4f), %d epochs, %.0f examples/s" % (done["bestEpoch"], done["bestValidationNDCG"], done["epochs"], done["examplesPerSecond"]))' "$out/$seed/trainer-0.log")
  echo "seed $seed: $summary in $SECONDS s"
  "$bin/recctl" eval --model "$out/model-$seed.safetensors" --json >"$out/eval-$seed.json"
done
python3 - "$out" ${SEEDS:-1 2 3} <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
protocols = [("full", "full, seen kept (RecBole)"), ("full_seen_excluded", "full, seen excluded"), ("sampled_100", "100 sampled negatives")]
runs, popular = [], None
for seed in seeds:
    results = json.load(open(f"{out}/eval-{seed}.json"))["results"]
    popular = next(r for r in results if r["ranker"] == "most-popular")
    runs.append(next(r for r in results if r["ranker"] != "most-popular"))
print(f'{"protocol":28} {"metric":8} ' + " ".join(f"{'seed ' + s:>8}" for s in seeds) + f' {"mean":>8} {"std":>7} {"most-pop":>9}')
for key, name in protocols:
    for metric, label in (("hr", "HR@10"), ("ndcg", "NDCG@10")):
        values = [r[key][metric] for r in runs]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        print(f'{name:28} {label:8} ' + " ".join(f"{v:8.4f}" for v in values) + f' {statistics.mean(values):8.4f} {spread:7.4f} {popular[key][metric]:9.4f}')
PY
