#!/usr/bin/env bash
# RecServe against ONNX Runtime on the same weights, one thread each, in one run: exports the model
# as ONNX (recctl export-onnx), checks parity on one request first (relative error <= 1e-4, or the
# script fails), then alternates ROUNDS rounds of RecServe's in-process path (recctl bench-model)
# and ONNX Runtime (scripts/bench_onnxruntime.py) on W1-shaped requests, prints p50 per round, the
# medians and the ratio, and plots both engines' latency percentiles (docs/bench-vs-onnxruntime.png).
# Rounds are short and paired (RecServe, then ONNX Runtime on the same requests): the machine's
# noise drifts over seconds, so the median of the pairs' ratios is the figure that cancels it;
# the ratio to ONNX Runtime's best round is printed too.
#
#   scripts/bench-vs-onnxruntime.sh     env: MODEL (a seeded random W1 model), ROUNDS (11), ITERATIONS (100),
#                                            HISTORY (200), CANDIDATES (1000), PLOT (docs/bench-vs-onnxruntime.png)
. "$(dirname "$0")/lib.sh"
build_release
rounds=${ROUNDS:-11}
iterations=${ITERATIONS:-100}
history=${HISTORY:-200}
candidates=${CANDIDATES:-1000}
plot=${PLOT:-docs/bench-vs-onnxruntime.png}
venv=run/venv-onnx
mkdir -p run
if ! "$venv/bin/python" -c 'import onnxruntime, onnx, numpy, matplotlib' 2>/dev/null; then
  echo "== a virtual environment with onnxruntime, onnx, numpy, matplotlib ($venv)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q onnxruntime onnx numpy matplotlib
fi
model=${MODEL:-run/w1-random.safetensors}
[ -f "$model" ] || "$bin/recctl" init-model --output "$model" --items 1682 --dim 64 --layers 2 --heads 2 --max-history 200 --seed 1 >/dev/null
"$bin/recctl" export-onnx --model "$model" --output run/bench.onnx --python "$venv/bin/python"
for round in $(seq 1 "$rounds"); do
  "$bin/recctl" bench-model --model "$model" --history-length "$history" --candidates "$candidates" --iterations "$iterations" \
    --naive-iterations 0 --seed "$round" --json --write-sample run/onnx-sample.json >"run/onnx-recserve-$round.json"
  "$venv/bin/python" scripts/bench_onnxruntime.py run/bench.onnx run/onnx-sample.json "$iterations" "$history" "$candidates" "$round" \
    2>/dev/null >"run/onnx-ort-$round.json"
done
"$venv/bin/python" - "$rounds" "$plot" <<'PY'
import json, statistics, sys
rounds, plot = int(sys.argv[1]), sys.argv[2]
recserve = [json.load(open(f"run/onnx-recserve-{r}.json")) for r in range(1, rounds + 1)]
ort = [json.load(open(f"run/onnx-ort-{r}.json")) for r in range(1, rounds + 1)]
worst = max(o["parity_relative_error"] for o in ort)
print(f"machine:  {recserve[0]['machine']}")
print(f"workload: {recserve[0]['workload']}; model {recserve[0]['model']}; one thread each; ONNX Runtime {ort[0]['onnxruntime']}")
print(f"parity:   worst relative error of ONNX Runtime's logits against RecServe's over {rounds} sample requests: {worst:.2e}")
if worst > 1e-4:
    print("parity FAILED (> 1e-4): the timings below would compare different computations")
    print("bench-vs-onnxruntime: 0 passed, 1 failed")
    sys.exit(1)
print("round   RecServe p50 µs   ONNX Runtime p50 µs   ratio")
for r, (a, b) in enumerate(zip(recserve, ort), 1):
    print(f"{r:>5}   {a['amortized_us']['p50']:15.0f}   {b['us']['p50']:19.0f}   {a['amortized_us']['p50'] / b['us']['p50']:.2f}")
ours = statistics.median(a["amortized_us"]["p50"] for a in recserve)
theirs = statistics.median(b["us"]["p50"] for b in ort)
best_theirs = min(b["us"]["p50"] for b in ort)
gflops = statistics.median(a["achieved_gflops"] for a in recserve)
peak = statistics.median(a["sgemm_peak_gflops"] for a in recserve)
print(f"median of round p50s: RecServe {ours:.0f} µs, ONNX Runtime {theirs:.0f} µs (best round {best_theirs:.0f} µs)")
paired = statistics.median(a["amortized_us"]["p50"] / b["us"]["p50"] for a, b in zip(recserve, ort))
best_ours = min(a["amortized_us"]["p50"] for a in recserve)
print(f"RecServe / ONNX Runtime: {paired:.2f}x (median of the paired rounds' ratios); {ours / theirs:.2f}x of its median, {ours / best_theirs:.2f}x of its best round")
print(f"best round against best round: RecServe {best_ours:.0f} µs, ONNX Runtime {best_theirs:.0f} µs = {best_ours / best_theirs:.2f}x")
print(f"RecServe arithmetic: {recserve[0]['request_mflop']:.1f} MFLOP a request, {gflops:.1f} GFLOP/s = {100 * gflops / peak:.0f}% of the SGEMM peak ({peak:.1f} GFLOP/s)")
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    qs = ["p10", "p25", "p50", "p75", "p90", "p99"]
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, rows, key in (("RecServe", recserve, "amortized_us"), ("ONNX Runtime", ort, "us")):
        values = [statistics.median(r[key][q] for r in rows) / 1000 for q in qs]
        ax.plot(qs, values, marker="o", label=name)
    ax.set_ylabel("latency, ms (median over rounds)")
    ax.set_title(f"W1 in-process, one thread: {recserve[0]['workload']}", fontsize=9)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.text(0.01, 0.01, recserve[0]["machine"][:110], fontsize=6)
    fig.tight_layout()
    fig.savefig(plot, dpi=120)
    print(f"plot: {plot}")
except ImportError:
    print("matplotlib not installed: no plot")
print("bench-vs-onnxruntime: 1 passed, 0 failed")
PY
