#!/usr/bin/env bash
# Soak: hold a fixed rate near 70% of measured capacity and watch latency and memory over time.
#   scripts/soak.sh                 10 minutes, per-minute report (the figures in docs/soak.md)
#   SOAK_SECONDS=60 SOAK_INTERVAL=10 scripts/soak.sh     the short version CI runs
# Reports p50/p99 and each process's CPU (with the host's busy and stolen shares) per interval,
# errors, each service's RSS at start and end, RSS growth and the
# p99 drift between the first and last interval. Fails on any failed request, or when
# SOAK_ENFORCE=1 and RSS grows 5% or more or p99 drifts 20% or more.
. "$(dirname "$0")/lib.sh"
seconds=${SOAK_SECONDS:-600}
interval=${SOAK_INTERVAL:-60}
port=${PORT:-5755}
build_release
mkdir -p run
model=run/soak-model.safetensors
"$bin/recctl" init-model --output "$model" --items 1682 --seed 1 >/dev/null
start_suite run/soak-up.log --model "$model" --scorers 2 --port "$port" --log-level warning
gateway="tcp://127.0.0.1:$port"
pids=$(pgrep -f -- "--(bind|gateway) tcp://127.0.0.1:($port|$((port + 1))|$((port + 5)))" | tr '\n' ' ')
rss() { for pid in $pids; do printf '%s %s %s\n' "$pid" "$(tr '\0' ' ' </proc/$pid/cmdline | awk '{print $1}' | xargs basename)" "$(awk '/VmRSS/ {print $2}' /proc/$pid/status)"; done; }

echo "== capacity: closed loop, concurrency 4, 15 s"
"$bin/recctl" bench --gateway "$gateway" --seconds 15 --concurrency 4 --json >run/soak-capacity.json
capacity=$(python3 -c 'import json; print(json.load(open("run/soak-capacity.json"))["qps"])')
target=$(python3 -c "print(round(0.7 * $capacity, 1))")
echo "capacity $capacity QPS -> soak at $target QPS for $seconds s"
rss >run/soak-rss-start.txt
"$bin/recctl" bench --gateway "$gateway" --seconds "$seconds" --concurrency 4 --warmup 0 --rate "$target" \
  --interval-seconds "$interval" --json >run/soak.json &
bench_pid=$!
# Every interval: each process's CPU ticks (user + system) and the host's /proc/stat line, so a slow
# interval can be told apart: a service using more CPU for the same load, or the host taking the
# cores away (steal) or other work running.
snapshot_cpu() {
  for pid in $pids; do
    [ -r "/proc/$pid/stat" ] && echo "proc $pid $(tr '\0' ' ' </proc/$pid/cmdline | awk '{print $1}' | xargs basename) $(awk '{print $14 + $15}' /proc/$pid/stat)"
  done
  [ -r "/proc/$bench_pid/stat" ] && echo "proc $bench_pid load-generator $(awk '{print $14 + $15}' /proc/$bench_pid/stat)"
  echo "host $(head -1 /proc/stat)"
  echo "end"
}
: >run/soak-cpu.txt
for _ in $(seq 1 $((seconds / interval))); do
  snapshot_cpu >>run/soak-cpu.txt
  sleep "$interval"
done
snapshot_cpu >>run/soak-cpu.txt
wait "$bench_pid"
rss >run/soak-rss-end.txt
python3 - "$interval" "${SOAK_ENFORCE:-0}" <<'PY'
import json, sys
interval, enforce = float(sys.argv[1]), sys.argv[2] == "1"
r = json.load(open("run/soak.json"))
print(f'machine: {r["machine"]}; workload: {r["workload"]}')
print(f'sent {r["succeeded"] + r["failed"]}, succeeded {r["succeeded"]}, failed {r["failed"]} {r["failures"] or ""}; {r["qps"]:.1f} QPS achieved')
rows = [i for i in r["intervals"] if (i["interval"] + 1) * interval <= r["seconds"] + 0.5]
# CPU per interval from the snapshots taken every interval (clock ticks, 100 a second on Linux):
# cores each process kept busy on average, and the host's busy and stolen shares.
snapshots, current = [], {"proc": {}, "host": None}
for line in open("run/soak-cpu.txt"):
    f = line.split()
    if f[0] == "proc": current["proc"][(f[1], f[2])] = int(f[3])
    elif f[0] == "host": current["host"] = [int(x) for x in f[2:]]
    elif f[0] == "end": snapshots.append(current); current = {"proc": {}, "host": None}
names = sorted({k for s in snapshots for k in s["proc"]}, key=lambda k: (k[1], k[0]))
def cpu_cells(i):
    if i + 1 >= len(snapshots): return ""
    a, b = snapshots[i], snapshots[i + 1]
    cells = [f"{(b['proc'][n] - a['proc'][n]) / 100 / interval:6.2f}" if n in a["proc"] and n in b["proc"] else f"{'-':>6}"
             for n in names]
    ha, hb = a["host"], b["host"]
    total, idle = sum(hb) - sum(ha), (hb[3] + hb[4]) - (ha[3] + ha[4])
    steal = hb[7] - ha[7]
    return " ".join(cells) + f"  {(total - idle) / max(total, 1) * 100:5.0f}% {steal / max(total, 1) * 100:5.1f}%"
short = {"embedding-server": "embed", "history-encoder": "encode", "gateway": "gatewy", "scorer": "scorer", "load-generator": "client"}
print("interval   n       p50 ms   p99 ms   cores busy: " + " ".join(f"{short.get(n[1], n[1][:6]):>6}" for n in names)
      + "   host  steal")
for i in rows:
    print(f'{i["interval"]:>8}   {i["n"]:<7} {i["p50"]/1000:7.2f}  {i["p99"]/1000:7.2f}               {cpu_cells(i["interval"])}')
start = {l.split()[0]: (l.split()[1], int(l.split()[2])) for l in open("run/soak-rss-start.txt")}
end = {l.split()[0]: int(l.split()[2]) for l in open("run/soak-rss-end.txt")}
print("service            RSS start KiB   RSS end KiB   growth")
worst = 0.0
for pid, (name, before) in sorted(start.items(), key=lambda x: x[1][0]):
    after = end.get(pid, 0)
    growth = (after - before) / before * 100
    worst = max(worst, growth)
    print(f'{name:<18} {before:>13}   {after:>11}   {growth:+.1f}%')
drift = (rows[-1]["p99"] - rows[0]["p99"]) / rows[0]["p99"] * 100 if len(rows) >= 2 else 0.0
print(f"largest RSS growth {worst:+.1f}%; p99 drift first -> last interval {drift:+.1f}%")
failed = r["failed"] > 0 or (enforce and (worst >= 5 or drift >= 20))
print(f"soak: {0 if failed else 1} passed, {1 if failed else 0} failed")
sys.exit(1 if failed else 0)
PY
