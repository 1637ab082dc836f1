#!/usr/bin/env bash
# Deploy test: the real compose stack in real containers (podman behind docker-compose 1.29), under
# load from the host, while scorers are scaled 3 -> 1 -> 4 and one is killed with SIGKILL; then
# generative retrieval (256 items generated per request, then scored) while generators go 1 -> 2.
#
# Passes when every request got a reply, none failed except past its deadline, the gateway logged
# each scorer count and 2 generators, Prometheus (in the stack) scraped exactly the live scorers after each phase, and
# the gateway's request counter, read through Prometheus, grew by exactly the requests the load
# generator sent. Prints a per-phase table. Tears everything down on exit, also on failure.
# Needs root (podman, debootstrap). Run from anywhere: deploy/test-deploy.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
phase_seconds=${DEPLOY_PHASE_SECONDS:-12}
port=${RECSERVE_PORT:-15555}
prometheus_port=${RECSERVE_PROMETHEUS_PORT:-19090}
project=recserve-deploy-test
work="$root/run/deploy-test"

say() { printf '\n== %s\n' "$*"; }

say "installing container tools"
scripts/install-deps.sh
need=()
for package in podman runc docker-compose debootstrap; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need+=("$package")
done
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

export CONTAINERS_CONF="$root/deploy/containers.conf"
mkdir -p "$work"
socket="$work/podman.sock"
rm -f "$socket"
podman system service --time=0 "unix://$socket" >"$work/podman-service.log" 2>&1 &
podman_service=$!
export DOCKER_HOST="unix://$socket"
compose() { docker-compose -f deploy/docker-compose.yml -p "$project" "$@"; }

cleanup() {
  status=$?
  set +e
  if [ "$status" -ne 0 ]; then
    echo "deploy test failed; last gateway log lines:"
    compose logs --no-color --tail=20 gateway 2>/dev/null
  fi
  [ -n "${load:-}" ] && kill "$load" 2>/dev/null
  compose down --volumes --remove-orphans -t 5 >/dev/null 2>&1
  kill "$podman_service" 2>/dev/null
  wait "$podman_service" 2>/dev/null
  rm -f "$socket"
  exit "$status"
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -S "$socket" ] && break; sleep 0.1; done

say "base image and RecServe image"
deploy/make-base-image.sh
swift build -c release --static-swift-stdlib --scratch-path .build-static >/dev/null
bin=$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)
rm -rf "$work/image" && mkdir -p "$work/image/bin"
for program in embedding-server history-encoder scorer generator gateway recctl; do
  cp "$bin/$program" "$work/image/bin/" && strip "$work/image/bin/$program"
done
podman build --quiet --network host -f deploy/Dockerfile.host --build-arg BASE=localhost/debian:bookworm-slim \
  -t localhost/recserve:deploy-test "$work/image" >/dev/null
podman build --quiet --network host -f deploy/prometheus/Dockerfile --build-arg BASE=localhost/debian:bookworm-slim \
  -t localhost/recserve-prometheus:deploy-test deploy/prometheus >/dev/null

say "model (seeded random, MovieLens-100K shape) on the models volume"
mkdir -p "$work/models"
"$bin/recctl" init-model --output "$work/models/model.safetensors" --items 1682 --seed 1
# Random semantic IDs and a random generator, so the generator tier serves generative requests.
"$bin/recctl" semantic-ids --model "$work/models/model.safetensors" --method random --random-generator >/dev/null
chmod -R a+rX "$work/models"

export RECSERVE_IMAGE=localhost/recserve:deploy-test RECSERVE_MODEL_DIR="$work/models" RECSERVE_PORT=$port
export RECSERVE_PROMETHEUS_IMAGE=localhost/recserve-prometheus:deploy-test RECSERVE_PROMETHEUS_PORT=$prometheus_port
compose down --volumes --remove-orphans -t 2 >/dev/null 2>&1 || true

gateway="tcp://127.0.0.1:$port"
scorer_containers() { podman ps --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=scorer" --format '{{.Names}}'; }

# Waits until every container's own health check passes and a query is split across `$1` scorers.
# (podman schedules health checks with systemd timers; without systemd they never run on their own,
# so the test runs each container's configured check itself with `podman healthcheck run`.)
all_healthy() {
  local name
  for name in $(podman ps --filter "label=com.docker.compose.project=$project" --format '{{.Names}}'); do
    podman healthcheck run "$name" >/dev/null 2>&1 || return 1
  done
}
wait_ready() {
  local want=$1
  for _ in $(seq 1 60); do
    if all_healthy && [[ "$("$bin/recctl" query --gateway "$gateway" --history 1,2,3 --candidates 0-1023 -k 1 --json 2>/dev/null)" == *"\"scorer_slices\":$want"* ]]; then
      return 0
    fi
    sleep 1
  done
  for name in $(podman ps --filter "label=com.docker.compose.project=$project" --format '{{.Names}}'); do
    echo "$name: $(podman healthcheck run "$name" 2>&1 || true)"
  done
  "$bin/recctl" query --gateway "$gateway" --history 1,2,3 --candidates 0-1023 -k 1 --json || true
  echo "stack not ready with $want scorers" >&2
  return 1
}

# An instant query to Prometheus' HTTP API, printed as "labelvalue value" lines (`$2` names the label).
promql() {
  python3 - "$prometheus_port" "$1" "${2:-instance}" <<'PY'
import json, sys, urllib.parse, urllib.request
port, query, label = sys.argv[1:4]
url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})
for series in json.load(urllib.request.urlopen(url, timeout=5))["data"]["result"]:
    print(series["metric"].get(label, ""), series["value"][1])
PY
}
# The scorers Prometheus scrapes successfully must be exactly the running scorer containers.
scraped_scorers() { promql 'up{job="scorer"} == 1' | cut -d' ' -f1 | sed 's/:9464$//' | sort | tr '\n' ' '; }
live_scorers() {
  for name in $(scorer_containers); do
    podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name"
  done | sort | tr '\n' ' '
}
prometheus_matches=()
check_prometheus_scorers() {
  local scraped live
  for _ in $(seq 1 30); do
    scraped=$(scraped_scorers 2>/dev/null || true)
    live=$(live_scorers)
    [ -n "$live" ] && [ "$scraped" = "$live" ] && break
    sleep 1
  done
  prometheus_matches+=("$1"$'\t'"$live"$'\t'"$scraped")
}
gateway_requests() {
  sleep 5  # two scrape intervals, so Prometheus holds the gateway's current count
  promql 'sum(recserve_gateway_requests_total)' | awk '{ printf "%d", $NF }'
}

say "up with 3 scorers"
compose up -d --scale scorer=3
wait_ready 3
echo "every container's health check passes; a query is split across 3 scorers"

# Runs the load generator for one phase; `$2` (optional) is done `$3` seconds into it.
results=()
run_phase() {
  local name=$1 action=${2:-} delay=${3:-3} shape=(--candidates 1000)
  [ "${GENERATE:-0}" != 0 ] && shape=(--generate "$GENERATE")
  "$bin/recctl" bench --gateway "$gateway" --items 1682 --seconds "$phase_seconds" --concurrency 2 --warmup 0 \
    "${shape[@]}" --history-length 200 --json >"$work/phase.json" &
  load=$!
  if [ -n "$action" ]; then sleep "$delay"; eval "$action"; fi
  wait "$load"
  load=""
  local replicas
  replicas=$(scorer_containers | wc -l)
  check_prometheus_scorers "$name"
  results+=("$(python3 - "$name" "$replicas" "$work/phase.json" <<'PY'
import json, sys
name, replicas, path = sys.argv[1], sys.argv[2], sys.argv[3]
r = json.load(open(path))
other = {k: v for k, v in r["failures"].items() if k != "DEADLINE_EXCEEDED"}
late = r["failures"].get("DEADLINE_EXCEEDED", 0)
sent = r["succeeded"] + r["failed"]
open(sys.argv[3] + ".sent", "a").write(f"{sent}\n")
print(f'{name}\t{replicas}\t{sent}\t{r["succeeded"]}\t{r["failed"]}\t{late}\t{r["latency_us"]["p50"]/1000:.1f}\t{r["latency_us"]["p99"]/1000:.1f}\t{json.dumps(other)}')
PY
)")
}

for _ in $(seq 1 30); do [ -n "$(promql 'up{job="gateway"} == 1' 2>/dev/null)" ] && break; sleep 1; done
requests_before=$(gateway_requests)
rm -f "$work/phase.json.sent"

say "load phases (${phase_seconds}s each, concurrency 2, W1 request shape)"
run_phase "3 scorers"
run_phase "scale to 1" "compose up -d --no-recreate --scale scorer=1 >/dev/null 2>&1"
run_phase "scale to 4" "compose up -d --no-recreate --scale scorer=4 >/dev/null 2>&1"
# (not `| head -n 1`: under pipefail, podman's SIGPIPE when head exits would fail the script)
scorers=$(scorer_containers)
victim=${scorers%%$'\n'*}
run_phase "SIGKILL one" "podman kill --signal KILL $victim >/dev/null"
# Generative retrieval (256 generated, then scored) while the generator tier scales 1 -> 2.
GENERATE=256 run_phase "generative, 1 generator"
scorers_now=$(scorer_containers | wc -l)
GENERATE=256 run_phase "generators 1 -> 2" "compose up -d --no-recreate --scale generator=2 --scale scorer=$scorers_now >/dev/null 2>&1"

requests_after=$(gateway_requests)
sent_total=$(( $(paste -sd+ "$work/phase.json.sent") ))

say "results"
table=$(printf 'phase\tscorers at end\tsent\tsucceeded\tfailed\tpast deadline\tp50 ms\tp99 ms\tother failures\n'; printf '%s\n' "${results[@]}")
echo "$table" | column -t -s $'\t'

failed=0
checks_passed=0
while IFS=$'\t' read -r name _ sent _ _ _ _ _ other; do
  if [ "$other" = "{}" ] && [ "$sent" -gt 0 ]; then
    checks_passed=$((checks_passed + 1))
  else
    echo "FAIL: $name: sent $sent; failures other than DEADLINE_EXCEEDED: $other"
    failed=$((failed + 1))
  fi
done < <(printf '%s\n' "${results[@]}")
logs=$(compose logs --no-color gateway)
for count in 3 1 4; do
  if grep -q "replicas=$count service=scorer" <<<"$logs"; then
    echo "gateway saw $count scorer replica(s)"
    checks_passed=$((checks_passed + 1))
  else
    echo "FAIL: the gateway never logged $count scorer replicas"
    failed=$((failed + 1))
  fi
done
if grep -q "replicas=2 service=generator" <<<"$logs"; then
  echo "gateway saw 2 generator replicas"
  checks_passed=$((checks_passed + 1))
else
  echo "FAIL: the gateway never logged 2 generator replicas"
  failed=$((failed + 1))
fi
echo
printf 'phase\tlive scorers\tscorers Prometheus scrapes\n%s\n' "$(printf '%s\n' "${prometheus_matches[@]}")" | column -t -s $'\t'
while IFS=$'\t' read -r name live scraped; do
  if [ -n "$live" ] && [ "$live" = "$scraped" ]; then
    checks_passed=$((checks_passed + 1))
  else
    echo "FAIL: after '$name' Prometheus scrapes [$scraped], the live scorers are [$live]"
    failed=$((failed + 1))
  fi
done < <(printf '%s\n' "${prometheus_matches[@]}")
counted=$((requests_after - requests_before))
echo "load generator sent $sent_total requests; the gateway's recserve_gateway_requests_total (through Prometheus) grew by $counted"
if [ "$counted" -eq "$sent_total" ]; then
  checks_passed=$((checks_passed + 1))
else
  echo "FAIL: the gateway counted $counted requests, the load generator sent $sent_total"
  failed=$((failed + 1))
fi
echo "deploy: $checks_passed passed, $failed failed"
[ "$failed" -eq 0 ]
