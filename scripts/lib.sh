# Shared by the scripts (source it: `. "$(dirname "$0")/lib.sh"`): install and build once, find the
# binaries, start the suite with `recctl up` and wait until it answers, stop it on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Installs the Debian packages and builds in release mode; sets $bin.
build_release() {
  scripts/install-deps.sh
  mkdir -p run
  if ! swift build -c release >run/build.log 2>&1; then
    grep -E 'error' run/build.log | head -40
    echo "the release build failed; the whole log is run/build.log" >&2
    exit 1
  fi
  bin=$(swift build -c release --show-bin-path)
}

# Sets $bin to an existing release build (for scripts whose caller built already).
find_release() {
  bin=$(swift build -c release --show-bin-path)
  [ -x "$bin/recctl" ] || build_release
}

# start_suite LOG [recctl up flags...]: starts the suite in the background (stopped when the script
# exits) and waits up to 60 s for it to answer a query; on failure prints LOG and exits.
start_suite() {
  local log=$1
  shift
  "$bin/recctl" up "$@" >"$log" 2>&1 &
  suite_pid=$!
  trap stop_suite EXIT
  for _ in $(seq 1 300); do
    grep -q '^ready' "$log" && return 0
    kill -0 "$suite_pid" 2>/dev/null || break
    sleep 0.2
  done
  cat "$log"
  echo "the suite did not become ready" >&2
  exit 1
}

# Stops the suite started by start_suite (SIGINT: recctl stops every child cleanly).
stop_suite() {
  [ -n "${suite_pid:-}" ] || return 0
  kill -INT "$suite_pid" 2>/dev/null || true
  wait "$suite_pid" 2>/dev/null || true
  suite_pid=
}

# run_training INIT OUTPUT LOGS [embedding-server flags...] -- [trainer flags...]: starts an
# embedding-server from INIT as the parameter server, runs $TRAINERS (2) trainer processes against
# it at once (data parallel: each a share of the users), worker 0's progress on the terminal, and
# stops the server when all are done; fails when any trainer fails. Ports from $PORT (9560).
run_training() {
  local init=$1 output=$2 logs=$3
  shift 3
  local server_flags=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do server_flags+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  local trainers=${TRAINERS:-2} port=${PORT:-9560}
  local lookup="tcp://127.0.0.1:$port" push="tcp://127.0.0.1:$((port + 10))"
  mkdir -p "$logs" "$(dirname "$output")"
  "$bin/embedding-server" --model "$init" --bind "$lookup" --push-bind "$push" --reload-interval-ms 0 --log-level warning \
    "${server_flags[@]}" >"$logs/embedding-server.log" 2>&1 &
  training_pids=("$!")
  trap stop_training EXIT
  local trainer_pids=()
  for worker in $(seq 0 $((trainers - 1))); do
    "$bin/trainer" --initial "$init" --embedding "$lookup" --push "$push" --output "$output" \
      --worker "$worker" --workers "$trainers" "$@" >"$logs/trainer-$worker.log" 2>&1 &
    trainer_pids+=("$!")
    training_pids+=("$!")
  done
  tail -n +1 -f "$logs/trainer-0.log" --pid "${trainer_pids[0]}" &
  local status=0
  for pid in "${trainer_pids[@]}"; do wait "$pid" || status=$?; done
  sleep 0.2
  stop_training
  if [ "$status" -ne 0 ]; then
    for worker in $(seq 0 $((trainers - 1))); do echo "--- trainer $worker"; tail -n 5 "$logs/trainer-$worker.log"; done
    echo "--- embedding-server"; tail -n 5 "$logs/embedding-server.log"
    echo "training failed" >&2
    exit "$status"
  fi
}

# Stops what run_training started.
stop_training() {
  for pid in "${training_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  training_pids=()
}
