#!/usr/bin/env bash
# Slipstream on vs off: the same data, seed and initial model, one trainer, a fixed number of
# epochs (no early stopping), run back to back in this script. Prints wall time, rows pulled and
# pushed, row bytes, dense bytes, and the test NDCG@10 / HR@10 (RecBole's protocol) of each run.
#
#   scripts/bench-slipstream.sh [extra trainer flags for both runs...]
#   env: EPOCHS (8), SEED (1), SLIPSTREAM_FLAGS (the "on" run's Slipstream settings)
. "$(dirname "$0")/lib.sh"
find_release
epochs=${EPOCHS:-8}
seed=${SEED:-1}
slipstream_flags=${SLIPSTREAM_FLAGS:---slipstream --slipstream-threshold 0.05 --slipstream-hot-fraction 0.5 --slipstream-period-steps 40 --slipstream-full-refresh-epochs 1 --slipstream-warmup-epochs 1}
common=(--samples-per-user 12 --negatives 64 --history-negatives 50 --loss softmax --learning-rate 0.003 --patience "$epochs" "$@")
echo "workload: MovieLens-100K, 1 trainer, $epochs epochs, seed $seed, flags: ${common[*]}"
echo "machine:  $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "slipstream run: $slipstream_flags"
for mode in off on; do
  extra=()
  [ "$mode" = on ] && read -r -a extra <<<"$slipstream_flags"
  TRAINERS=1 EPOCHS=$epochs SEED=$seed PORT=$((9600 + RANDOM % 200)) LOG_DIR="run/slipstream-$mode" \
    OUTPUT="run/slipstream-$mode/model.safetensors" scripts/train.sh --json "${common[@]}" "${extra[@]}" >"run/slipstream-$mode.out" 2>&1
  "$bin/recctl" eval --model "run/slipstream-$mode/model.safetensors" --json >"run/slipstream-$mode/eval.json"
done
python3 - <<'PY'
import json
rows = {}
for mode in ("off", "on"):
    events = [json.loads(line) for line in open(f"run/slipstream-{mode}/trainer-0.log") if line.startswith("{")]
    done = next(e for e in events if e["event"] == "done")
    t = done["traffic"]
    ev = json.load(open(f"run/slipstream-{mode}/eval.json"))
    model = [r for r in ev["results"] if r["ranker"] != "most-popular"][0]["full"]
    rows[mode] = dict(pulled=t["rowsPulled"], pushed=t["rowsPushed"], row_mb=t["rowBytes"] / 1e6, dense_mb=t["denseBytes"] / 1e6,
                      skipped=t["rowsSkipped"], inputs=t["samplesSkipped"], seconds=done["seconds"], ndcg=model["ndcg"], hr=model["hr"])
print(f'{"":10} {"wall s":>8} {"rows pulled":>12} {"rows pushed":>12} {"row MB":>8} {"dense MB":>9} {"skipped":>9} {"inputs skipped":>15} {"test NDCG@10":>13} {"HR@10":>7}')
for mode, r in rows.items():
    print(f'{"slipstream " + mode:10} {r["seconds"]:8.1f} {r["pulled"]:12d} {r["pushed"]:12d} {r["row_mb"]:8.1f} {r["dense_mb"]:9.1f} {r["skipped"]:9d} {r["inputs"]:15d} {r["ndcg"]:13.4f} {r["hr"]:7.4f}')
off, on = rows["off"], rows["on"]
print(f'ratios (off / on): row bytes {off["row_mb"] / on["row_mb"]:.2f}x, all bytes {(off["row_mb"] + off["dense_mb"]) / (on["row_mb"] + on["dense_mb"]):.2f}x, '
      f'wall time {off["seconds"] / on["seconds"]:.2f}x; NDCG@10 change {100 * (on["ndcg"] - off["ndcg"]) / off["ndcg"]:+.1f}%')
PY
