#!/usr/bin/env bash
# Fetches MovieLens-100K (shipped inside the recbole==1.2.1 wheel on PyPI) into data/ml-100k/ and
# verifies both files' sha256. Idempotent. data/ is git-ignored: the dataset is never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=data/ml-100k
inter_sha=4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff
item_sha=51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532
verify() { echo "$inter_sha  $out/ml-100k.inter" | sha256sum -c --quiet - && echo "$item_sha  $out/ml-100k.item" | sha256sum -c --quiet -; }
if [ -f "$out/ml-100k.inter" ] && [ -f "$out/ml-100k.item" ] && verify 2>/dev/null; then
  echo "MovieLens-100K present in $out"
  exit 0
fi
download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
echo "downloading the recbole 1.2.1 wheel (MovieLens-100K is inside it)"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --dest "$download" "recbole==1.2.1"
mkdir -p "$out"
python3 - "$download"/recbole-1.2.1-*.whl "$out" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    for name in ("ml-100k.inter", "ml-100k.item"):
        with archive.open(f"recbole/dataset_example/ml-100k/{name}") as source, open(f"{out}/{name}", "wb") as target:
            target.write(source.read())
PY
verify || { echo "sha256 mismatch for MovieLens-100K in $out" >&2; exit 1; }
echo "MovieLens-100K fetched and verified in $out"
