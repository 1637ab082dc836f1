#!/usr/bin/env bash
# The test command: installs what the build needs, checks formatting, builds in release mode and
# runs every suite (unit, in-process service, and multi-process integration tests on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-movielens.sh
echo "== swift format lint"
lint=$(swift format lint -r Services Shared Tests 2>&1 || true)
if [ -n "$lint" ]; then echo "$lint"; echo "swift format lint failed: run 'swift format format -i -r Services Shared Tests'"; exit 1; fi
# OpenBLAS and OpenMP (under oneDNN) would otherwise start worker threads in the test process at load time.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
echo "== target graph: layers, no tier-to-tier edges, gateway without BLAS"
scripts/check-layers.sh
echo "== swift build (release)"
swift build -c release --build-tests
echo "== swift test (release)"
swift test -c release --skip-build
echo "== wire decoders: replay the fuzz corpus"
"$(swift build -c release --show-bin-path)/wire-fuzz" Tests/Fuzz/corpus
echo "== Python client against real suites"
scripts/test-python-client.sh
