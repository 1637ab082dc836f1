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
