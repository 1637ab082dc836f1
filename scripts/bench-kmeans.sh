#!/usr/bin/env bash
# Our RQ-Kmeans (recctl semantic-ids: k-means on the oneDNN GEMM and the AVX-512 row-argmin kernel)
# against faiss' k-means (faiss-cpu from pip) on the same rows, same levels, codes, iterations and
# sampling, in one run: seconds and reconstruction loss per level, for ML-100K's trained rows
# (when run/exp-long/model-1.safetensors exists) and W2's 1M random rows. faiss runs with one
# thread (as ours does) and with two. Results: docs/generative.md.
#
#   scripts/bench-kmeans.sh     env: ROUNDS (3)
. "$(dirname "$0")/lib.sh"
find_release
rounds=${ROUNDS:-3}
venv=run/venv-faiss
if ! "$venv/bin/python" -c 'import faiss, numpy' 2>/dev/null; then
  echo "== a virtual environment with faiss-cpu and numpy ($venv)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q faiss-cpu numpy
fi
w2=run/w2.safetensors
[ -f "$w2" ] || "$bin/recctl" init-model --output "$w2" --items 1000000 --dim 64 --layers 2 --heads 2 --max-history 500 --seed 2 >/dev/null
catalogs=()
[ -f run/exp-long/model-1.safetensors ] && catalogs+=("ML-100K:run/exp-long/model-1.safetensors:32")
catalogs+=("W2:$w2:256")
printf '%-8s %-22s %5s %9s  %s\n' catalog engine round seconds "reconstruction loss per level"
for catalog in "${catalogs[@]}"; do
  IFS=: read -r name path codes <<<"$catalog"
  for round in $(seq 1 "$rounds"); do
    "$bin/recctl" semantic-ids --model "$path" --output run/kmeans-bench.safetensors --levels 3 --codes "$codes" --seed "$round" --json \
      >run/kmeans-bench.json
    python3 -c 'import json,sys; r=json.load(open("run/kmeans-bench.json")); print("%-8s %-22s %5s %9.2f  %s" % (sys.argv[1], "recserve (1 thread)", sys.argv[2], r["seconds"], " ".join("%.4f" % l["reconstruction_loss"] for l in r["rq_kmeans"])))' "$name" "$round"
    for threads in 1 2; do
      "$venv/bin/python" scripts/bench_kmeans_faiss.py "$path" 3 "$codes" "$threads" "$round" |
        python3 -c 'import json,sys; r=json.load(sys.stdin); print("%-8s %-22s %5s %9.2f  %s" % (sys.argv[1], "faiss %s (%d thread%s)" % (r["faiss"], r["threads"], "s" if r["threads"] > 1 else ""), sys.argv[2], r["seconds"], " ".join("%.4f" % l for l in r["reconstruction_loss"])))' "$name" "$round"
    done
  done
done
echo "machine: $(python3 -c 'import json; print(json.load(open("run/kmeans-bench.json"))["machine"])')"
rm -f run/kmeans-bench.safetensors run/kmeans-bench.json
echo "(recserve's last level is measured after collisions are separated: every item's ID unique; faiss' IDs are not de-duplicated)"
