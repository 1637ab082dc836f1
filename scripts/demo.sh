#!/usr/bin/env bash
# The main job: build, make a model, start the whole suite on loopback, run example queries and a
# short benchmark through the gateway, then stop everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-movielens.sh
echo "== building (release)"
swift build -c release
bin=$(swift build -c release --show-bin-path)
mkdir -p run
model=run/model.safetensors
if [ ! -f "$model" ]; then
  # A seeded random model of MovieLens-100K's shape until the trained model (issue 3) exists.
  "$bin/recctl" init-model --output "$model" --items 1682 --dim 64 --layers 2 --heads 2 --seed 1
fi
port=${RECSERVE_PORT:-5555}
"$bin/recctl" up --model "$model" --scorers 2 --port "$port" >run/up.log 2>&1 &
up=$!
trap 'kill -INT $up 2>/dev/null || true; wait $up 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q '^ready' run/up.log && break; sleep 0.2; done
grep -q '^ready' run/up.log || { cat run/up.log; echo "suite did not become ready" >&2; exit 1; }
sed -n '1,4p' run/up.log
gateway=tcp://127.0.0.1:$port
echo; echo "== top 10 of all 1,682 items for a user with a 6-item history (random weights until training lands: issue 3)"
"$bin/recctl" query --gateway "$gateway" --user alice --history 50,172,133,181,1,98 -k 10 --data data/ml-100k
echo; echo "== the same user again (the encoder's cache answers the history)"
"$bin/recctl" query --gateway "$gateway" --user alice --history 50,172,133,181,1,98 -k 5
echo; echo "== an unknown item id gets a clear error"
"$bin/recctl" query --gateway "$gateway" --history 1,99999 -k 5 || true
echo; echo "== 5 s of closed-loop load (W1 shape: history 200, 1,000 candidates, k 10)"
"$bin/recctl" bench --gateway "$gateway" --model "$model" --seconds 5 --concurrency 2
echo; echo "== stopping"
kill -INT $up
wait $up
trap - EXIT
tail -n 1 run/up.log
