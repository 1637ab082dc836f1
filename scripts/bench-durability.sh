#!/usr/bin/env bash
# What durable pushes cost a trainer: the same closed-loop pushes against three embedding-servers
# started side by side from one model file: in memory only (the baseline), --state-dir with a
# sync before every acknowledgement, and --state-dir with group commit every 5 ms.
#
#   scripts/bench-durability.sh      env: ROWS (1600, a training step's rows), PUSHES (300), CONCURRENCY (1 2)
. "$(dirname "$0")/lib.sh"
find_release
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin/recctl" init-model --output "$work/model.safetensors" --items 1682 --seed 1 >/dev/null
echo "machine: $(nproc) cores, $(uname -sr); state on $(df -T "$work" | awk 'NR==2 {print $2}') ($work)"
start() { # name port extra-flags...
  local name=$1 port=$2
  shift 2
  "$bin/embedding-server" --model "$work/model.safetensors" --bind "tcp://127.0.0.1:$port" \
    --push-bind "tcp://127.0.0.1:$((port + 1))" --reload-interval-ms 0 --log-level warning "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
}
start memory 9760
start sync-every-push 9762 --state-dir "$work/state-a"
start group-commit-5ms 9764 --state-dir "$work/state-b" --fsync-interval-ms 5
sleep 1
for concurrency in ${CONCURRENCY:-1 2}; do
  for entry in memory:9761 sync-every-push:9763 group-commit-5ms:9765; do
    name=${entry%%:*}
    port=${entry##*:}
    result=$("$bin/recctl" bench-push --push "tcp://127.0.0.1:$port" --rows "${ROWS:-1600}" --pushes "${PUSHES:-300}" \
      --concurrency "$concurrency" --json)
    echo "$name $concurrency $result"
  done
done >"$work/results"
python3 - "$work/results" <<'PY'
import json, sys
rows = [line.split(" ", 2) for line in open(sys.argv[1]) if line.strip()]
print("workload:", json.loads(rows[0][2])["workload"].split(",")[0] + ", closed loop, each client waits for its acknowledgement")
print(f'{"server":18} {"clients":>7} {"pushes/s":>9} {"p50 us":>8} {"p99 us":>8} {"p50 vs memory":>14}')
base = {}
for name, clients, text in rows:
    r = json.loads(text)
    p50 = r["latency_us"]["p50"]
    if name == "memory":
        base[clients] = p50
    print(f'{name:18} {clients:>7} {r["pushes_per_s"]:9.0f} {p50:8.0f} {r["latency_us"]["p99"]:8.0f} {p50 / base[clients]:13.2f}x')
PY
