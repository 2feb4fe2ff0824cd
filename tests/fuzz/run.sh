#!/usr/bin/env bash
# Builds the libFuzzer targets (DESCENT_FUZZ=ON: clang, AddressSanitizer + UndefinedBehaviorSanitizer)
# into build-fuzz and runs each for SECONDS_PER_TARGET seconds (default 20), seeded with the
# committed corpus tests/fuzz/corpus/<target>/ and the dictionary tests/fuzz/<target>.dict if any.
# The committed corpus is only read: each target grows a copy in build-fuzz/fuzz-work/<target>/.
# Exits non-zero if any target fails (crash, sanitizer report, leak, timeout, out of memory, an
# exception other than descent::Error), naming the target and the input that made it fail.
#   tests/fuzz/run.sh          # ~2 minutes of fuzzing plus the build
#   tests/fuzz/run.sh 300      # 5 minutes per target
set -euo pipefail
seconds=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build-fuzz
targets=(fuzz_csv fuzz_idx fuzz_idx_gzip fuzz_npy fuzz_npz fuzz_npz_arrays)
# Extra read-only seeds: arrays and archives written by NumPy for the unit tests.
declare -A extra_seeds=([fuzz_npy]="$root/tests/data/files" [fuzz_npz]="$root/tests/io/files")

start=$(date +%s)
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g \
  -DCMAKE_CXX_FLAGS=-g -DDESCENT_FUZZ=ON -DDESCENT_BUILD_TESTS=OFF -DDESCENT_BUILD_SAMPLES=OFF >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}"
built=$(date +%s)
echo "fuzz: build took $((built - start)) s"

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for target in "${targets[@]}"; do
  work=$build/fuzz-work/$target
  rm -rf "$work"
  mkdir -p "$work/corpus"
  cp "$here/corpus/$target"/* "$work/corpus/"
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024
           -artifact_prefix="$work/" -print_final_stats=1)
  [[ -f $here/$target.dict ]] && options+=(-dict="$here/$target.dict")
  seeds=("$here/corpus/$target")
  [[ -n ${extra_seeds[$target]:-} ]] && seeds+=("${extra_seeds[$target]}")
  if "$build/tests/fuzz/$target" "${options[@]}" "$work/corpus" "${seeds[@]}" >"$work/log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz: $target OK ($runs runs in ${seconds} s, corpus $(ls "$work/corpus" | wc -l) files)"
  else
    failed+=("$target")
    echo "fuzz: $target FAILED; log: $work/log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$work/log" | head -5 || true
    for input in "$work"/{crash,leak,timeout,oom,slow-unit}-*; do
      [[ -e $input ]] && echo "fuzz: $target failing input: $input (rerun: $build/tests/fuzz/$target $input)"
    done
  fi
done
echo "fuzz: total $(( $(date +%s) - start )) s"
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
