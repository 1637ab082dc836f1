#!/usr/bin/env bash
# Which small-matrix GEMM library to use, measured: single-thread SGEMM rates on the model's own
# shapes for OpenBLAS (its default guess, and each core type this CPU runs), BLIS, oneDNN and
# libxsmm, side by side in one run. Installs the Debian packages it needs. Results: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libopenblas-dev libblis-dev libdnnl-dev libxsmm-dev)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=scripts/gemm/bench_gemm.c
cc -O2 -o "$work/openblas" "$src" -DUSE_CBLAS -DLIBNAME='"OpenBLAS"' -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas
cc -O2 -o "$work/blis" "$src" -DUSE_CBLAS -DLIBNAME='"BLIS"' -I/usr/include/x86_64-linux-gnu/openblas-pthread /usr/lib/x86_64-linux-gnu/libblis.so.4 -lm -lpthread
cc -O2 -o "$work/dnnl" "$src" -DUSE_DNNL -ldnnl
cc -O2 -o "$work/xsmm" "$src" -DUSE_XSMM /usr/lib/libxsmm.a -lopenblas -lpthread -lrt -ldl -lm
flags=$(grep -m1 '^flags' /proc/cpuinfo)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; avx512f: $([[ $flags == *avx512f* ]] && echo yes || echo no)"
export OPENBLAS_NUM_THREADS=1 BLIS_NUM_THREADS=1 OMP_NUM_THREADS=1 DNNL_MAX_CPU_ISA=ALL
echo "== OpenBLAS, its own core type guess"
env -u OPENBLAS_CORETYPE "$work/openblas"
coretypes=(Haswell)
[[ $flags == *avx512f* && $flags == *avx512bw* ]] && coretypes+=(SkylakeX)
for core in "${coretypes[@]}"; do echo "== OpenBLAS, OPENBLAS_CORETYPE=$core"; OPENBLAS_CORETYPE=$core "$work/openblas" | sed "s/OpenBLAS   /OpenBLAS $core/"; done
echo "== BLIS"; "$work/blis"
echo "== oneDNN"; "$work/dnnl"
echo "== libxsmm"; OPENBLAS_CORETYPE=${coretypes[-1]} "$work/xsmm"
