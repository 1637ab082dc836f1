#!/usr/bin/env bash
# Soak: hold a fixed rate near 70% of measured capacity and watch latency and memory over time.
#   scripts/soak.sh                 10 minutes, per-minute report (the figures in docs/soak.md)
#   SOAK_SECONDS=60 SOAK_INTERVAL=10 scripts/soak.sh     the short version CI runs
# Reports p50/p99 per interval, errors, each service's RSS at start and end, RSS growth and the
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
  --interval-seconds "$interval" --json >run/soak.json
rss >run/soak-rss-end.txt
python3 - "$interval" "${SOAK_ENFORCE:-0}" <<'PY'
import json, sys
interval, enforce = float(sys.argv[1]), sys.argv[2] == "1"
r = json.load(open("run/soak.json"))
print(f'machine: {r["machine"]}; workload: {r["workload"]}')
print(f'sent {r["succeeded"] + r["failed"]}, succeeded {r["succeeded"]}, failed {r["failed"]} {r["failures"] or ""}; {r["qps"]:.1f} QPS achieved')
print("interval   n       p50 ms   p99 ms")
rows = [i for i in r["intervals"] if (i["interval"] + 1) * interval <= r["seconds"] + 0.5]
for i in rows:
    print(f'{i["interval"]:>8}   {i["n"]:<7} {i["p50"]/1000:7.2f}  {i["p99"]/1000:7.2f}')
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
