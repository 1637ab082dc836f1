#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of every wire decoder that reads bytes
# from the network, starting from the checked-in corpus Tests/Fuzz/corpus.
#   FUZZ_SECONDS=600 scripts/fuzz.sh     a long run (figures in docs/fuzzing.md)
# New interesting inputs go to run/fuzz-corpus (not committed); a crash leaves run/fuzz-crash-*
# and fails the script. Replay any file with the normally built harness: wire-fuzz FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
scripts/install-deps.sh
swift build -c release --scratch-path .build-fuzz --product wire-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING  \
  -Xcc -fsanitize=fuzzer-no-link,address 2>&1 | grep -E 'error|Compiling wire|Build complete' || true
bin=$(swift build -c release --scratch-path .build-fuzz --show-bin-path)
mkdir -p run/fuzz-corpus
echo "== fuzzing the wire decoders for ${seconds}s"
# Let libFuzzer and ASan report crashes; the Swift runtime's backtracer would linger holding stdout.
SWIFT_BACKTRACE=enable=no "$bin/wire-fuzz" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix=run/fuzz-crash- \
  run/fuzz-corpus Tests/Fuzz/corpus 2>run/fuzz.log || { tail -40 run/fuzz.log; echo "fuzz: 0 passed, 1 failed"; exit 1; }
grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb)|DONE' run/fuzz.log
echo "fuzz: 1 passed, 0 failed"
