"""The compression table and plot from scripts/bench-compression.sh's outputs (run by it)."""
import json, statistics, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
out, seeds, formats = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
machine = json.load(open(f"{out}/w2-f32.lookup.json"))["machine"]
def metrics(fmt):
    runs = []
    for seed in range(1, seeds + 1):
        results = json.load(open(f"{out}/ml-{seed}-{fmt}.eval.json"))["results"]
        runs.append(next(r for r in results if r["ranker"] != "most-popular"))
    return runs
import re
def bytes_per_row(name):
    """Bytes a row as `recctl compress` reported them (pruned tables vary with the data)."""
    return float(re.search(r"([0-9.]+) bytes a row", open(name).read()).group(1))
base = metrics("f32")
print("machine:", machine)
print()
print("| format | bytes / row (ML-100K / W2) | ML-100K table | W2 table | W2 embedding-server RSS | lookup 1,000 ids p50 / p99 µs | NDCG@10 seen kept (Δ vs f32) | HR@10 seen kept | NDCG@10 seen excluded (Δ) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
points = []
for fmt in formats:
    runs = metrics(fmt)
    ndcg = [r["full"]["ndcg"] for r in runs]
    hr = [r["full"]["hr"] for r in runs]
    excluded = [r["full_seen_excluded"]["ndcg"] for r in runs]
    mean = statistics.mean
    delta = (mean(ndcg) / mean([r["full"]["ndcg"] for r in base]) - 1) * 100
    delta_ex = (mean(excluded) / mean([r["full_seen_excluded"]["ndcg"] for r in base]) - 1) * 100
    lookup = json.load(open(f"{out}/w2-{fmt}.lookup.json"))["latency_us"]
    rss = int(open(f"{out}/w2-{fmt}.rss").read()) / 1024
    row = statistics.mean(bytes_per_row(f"{out}/ml-{seed}-{fmt}.compress.txt") for seed in range(1, seeds + 1))
    w2_row = bytes_per_row(f"{out}/w2-{fmt}.compress.txt")
    print(f"| {fmt} | {row:.1f} / {w2_row:.1f} | {row * 1682 / 1024:.0f} KiB | {w2_row * 1_000_000 / 1048576:.0f} MiB | {rss:.0f} MiB | {lookup['p50']:.0f} / {lookup['p99']:.0f} "
          f"| {mean(ndcg):.4f} ± {statistics.stdev(ndcg):.4f} ({delta:+.1f}%) | {mean(hr):.4f} | {mean(excluded):.4f} ({delta_ex:+.1f}%) |")
    points.append((row * 1682 / 1024, mean(ndcg), statistics.stdev(ndcg), fmt))
f32_suite, int8_suite = (int(open(f"{out}/suite-{f}.rss").read()) / 1024 for f in ("f32", "int8-rowwise"))
f32_server, int8_server = (int(open(f"{out}/w2-{f}.rss").read()) / 1024 for f in ("f32", "int8-rowwise"))
print()
print(f"W2 embedding-server RSS: int8 row-wise {int8_server:.0f} MiB / f32 {f32_server:.0f} MiB = {int8_server / f32_server:.2f}; against the 518 MiB before this change: {int8_server / 518:.2f}")
print(f"W2 whole suite RSS: int8 row-wise {int8_suite:.0f} MiB / f32 {f32_suite:.0f} MiB = {int8_suite / f32_suite:.2f}")
def processes(fmt):
    rows = [line.split() for line in open(f"{out}/suite-{fmt}.processes") if line.strip()]
    table = {}
    for name, kib in rows:
        table.setdefault(name, []).append(int(kib) / 1024)
    return table
f32_procs, int8_procs = processes("f32"), processes("int8-rowwise")
for name in sorted(f32_procs):
    print(f"  {name}: f32 {' + '.join(f'{v:.0f}' for v in f32_procs[name])} MiB, int8 row-wise {' + '.join(f'{v:.0f}' for v in int8_procs.get(name, []))} MiB")
fig, ax = plt.subplots(figsize=(6.5, 4))
reference = points[0][1]
ax.axhspan(reference * 0.99, reference * 1.01, color="grey", alpha=0.15, label="f32 ± 1%")
for index, (kib, ndcg, spread, fmt) in enumerate(points):
    ax.errorbar(kib, ndcg, yerr=spread, fmt="o", capsize=3)
    ax.annotate(fmt, (kib, ndcg), textcoords="offset points", xytext=(6, 8 if index % 2 else -14))
ax.set_ylim(min(reference * 0.85, min(p[1] - p[2] for p in points) * 0.97), reference * 1.12)
ax.legend(loc="lower right")
ax.set_xlabel("ML-100K item table (KiB)")
ax.set_ylabel("test NDCG@10, seen kept (3 seeds, ± std)")
ax.set_title("Item-table formats: memory vs accuracy")
ax.grid(True, alpha=0.3)
fig.tight_layout()
fig.savefig("docs/compression.png", dpi=120)
print("plot: docs/compression.png")
