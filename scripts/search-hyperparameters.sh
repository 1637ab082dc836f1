#!/usr/bin/env bash
# A coordinate search over the settings that matter for the model's quality, on the validation
# split only: the base recipe, then one setting changed at a time (dense and row learning rates,
# dropout, sampled negatives, history length, depth), each trained once (scripts/train.sh, SEED) and
# ranked by its best validation NDCG@10. The test split is never read here: the finalists go to
# scripts/train-seeds.sh (3 seeds, one test evaluation each), whose commands it prints.
#
#   scripts/search-hyperparameters.sh     env: EPOCHS (20), SEED (1), OUT (run/search), FINALISTS (2),
#                                              ONLY (run only the configurations whose names contain this)
. "$(dirname "$0")/lib.sh"
find_release
scripts/fetch-movielens.sh >/dev/null
out=${OUT:-run/search}
mkdir -p "$out"
base="--samples-per-user 12 --negatives 64 --history-negatives 50 --loss softmax --learning-rate 0.003 --learning-rate-decay 0.95 --dropout 0.1"
# name|environment for train.sh|trainer flags (the base recipe's, with one change)
configurations=(
  "base||$base"
  "dense-lr-0.002||${base/--learning-rate 0.003/--learning-rate 0.002}"
  "dense-lr-0.004||${base/--learning-rate 0.003/--learning-rate 0.004}"
  "row-lr-0.15|ROW_LEARNING_RATE=0.15|$base"
  "row-lr-0.3|ROW_LEARNING_RATE=0.3|$base"
  "dropout-0||${base/--dropout 0.1/--dropout 0}"
  "dropout-0.2||${base/--dropout 0.1/--dropout 0.2}"
  "negatives-32||${base/--negatives 64/--negatives 32}"
  "negatives-128||${base/--negatives 64/--negatives 128}"
  "history-100|MAX_HISTORY=100|$base"
  "layers-1|LAYERS=1|$base"
)
printf '%-16s %12s %6s %10s  %s\n' configuration "valid NDCG" epoch "s/epoch" "log"
for entry in "${configurations[@]}"; do
  IFS='|' read -r name environment flags <<<"$entry"
  [[ -z "${ONLY:-}" || "$name" == *"$ONLY"* ]] || continue
  logs="$out/$name"
  # shellcheck disable=SC2086
  env $environment OUTPUT="$out/$name.safetensors" EPOCHS="${EPOCHS:-20}" SEED="${SEED:-1}" LOG_DIR="$logs" PORT=9700 \
    scripts/train.sh --json --patience 100 $flags >"$out/$name.out" 2>&1 || { echo "$name: training failed (see $out/$name.out)"; continue; }
  python3 - "$name" "$logs/trainer-0.log" "$environment" "$flags" >>"$out/results.txt" <<'PY'
import json, sys
name, log, environment, flags = sys.argv[1:]
lines = [json.loads(l) for l in open(log) if l.startswith("{")]
epochs = [l["report"] for l in lines if l["event"] == "epoch"]
best = max(epochs, key=lambda r: r.get("validationNDCG", -1))
seconds = sum(r["trainingSeconds"] for r in epochs) / len(epochs)
print(f"{name}|{best['validationNDCG']:.4f}|{best['epoch']}|{seconds:.1f}|{environment}|{flags}")
PY
  tail -n 1 "$out/results.txt" | awk -F'|' '{ printf "%-16s %12s %6s %10s  %s\n", $1, $2, $3, $4, "'"$out/$name.out"'" }'
done
echo
echo "ranked by validation NDCG@10 (this run's and earlier runs' rows in $out/results.txt):"
sort -t'|' -k2,2 -r "$out/results.txt" | awk -F'|' '!seen[$1]++' | head -n "${FINALISTS:-2}" | while IFS='|' read -r name ndcg epoch seconds environment flags; do
  echo "  $name (valid $ndcg): $environment OUT=run/final-$name EPOCHS=60 scripts/train-seeds.sh $flags --patience 12"
done
