#!/usr/bin/env bash
# Builds the libFuzzer targets (DESCENT_FUZZ=ON: clang, AddressSanitizer + UndefinedBehaviorSanitizer)
# into build-fuzz and runs each for SECONDS_PER_TARGET seconds (default 20), seeded with the
# committed corpus tests/fuzz/corpus/<target>/ and the dictionary tests/fuzz/<target>.dict if any.
# The committed corpus is only read: each target grows a copy in build-fuzz/fuzz-work/<target>/.
# Exits non-zero if any target fails (crash, sanitizer report, leak, timeout, out of memory, an
# exception other than descent::Error), naming the target and the input that made it fail.
#   tests/fuzz/run.sh          # ~1 minute of fuzzing (two targets at a time) plus the build
#   tests/fuzz/run.sh 300      # 5 minutes per target
#   tests/fuzz/run.sh --configure [CMAKE_ARGS...]   # only configure build-fuzz (CI's sanitize stage
#                                                  # builds and tests the whole tree in it first)
set -euo pipefail
seconds=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build-fuzz
targets=(fuzz_csv fuzz_idx fuzz_idx_gzip fuzz_npy fuzz_npz fuzz_npz_arrays)
# Extra read-only seeds: arrays and archives written by NumPy for the unit tests.
declare -A extra_seeds=([fuzz_npy]="$root/tests/data/files" [fuzz_npz]="$root/tests/io/files")

start=$(date +%s)
# -O1, libFuzzer's usual level, rather than Release's -O3: the build is most of this stage's time.
# Only the targets are built below: the tests and samples cost configure time only (unless a tree
# configured with --configure builds them).
configure=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g -DCMAKE_CXX_FLAGS=-g "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG"
           "-DCMAKE_C_FLAGS_RELEASE=-O1 -DNDEBUG" -DDESCENT_FUZZ=ON)
if [[ $seconds == --configure ]]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" "${configure[@]}" "${@:2}"
  exit 0
fi
CC=clang CXX=clang++ cmake -S "$root" -B "$build" "${configure[@]}" >/dev/null
# the ONNX importer's target exists when the tree was configured with descent::onnx
if cmake --build "$build" --target help | grep -E '(^| )fuzz_onnx_import(:|$)' >/dev/null; then targets+=(fuzz_onnx_import); fi
cmake --build "$build" -j2 --target "${targets[@]}"
built=$(date +%s)
echo "fuzz: build took $((built - start)) s"

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One target: fuzz it, then print its result lines (all at once, so that parallel targets' lines
# do not interleave); exits 1 if it failed.
fuzz_target() {
  local target=$1 work=$build/fuzz-work/$1 report
  rm -rf "$work"
  mkdir -p "$work/corpus"
  cp "$here/corpus/$target"/* "$work/corpus/"
  local options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024
                 -artifact_prefix="$work/" -print_final_stats=1)
  [[ -f $here/$target.dict ]] && options+=(-dict="$here/$target.dict")
  local seeds=("$here/corpus/$target")
  [[ -n ${extra_seeds[$target]:-} ]] && seeds+=("${extra_seeds[$target]}")
  if "$build/tests/fuzz/$target" "${options[@]}" "$work/corpus" "${seeds[@]}" >"$work/log" 2>&1; then
    local runs
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz: $target OK ($runs runs in ${seconds} s, corpus $(ls "$work/corpus" | wc -l) files)"
    return 0
  fi
  report="fuzz: $target FAILED; log: $work/log"$'\n'
  report+=$(grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$work/log" | head -5 || true)$'\n'
  for input in "$work"/{crash,leak,timeout,oom,slow-unit}-*; do
    [[ -e $input ]] && report+="fuzz: $target failing input: $input (rerun: $build/tests/fuzz/$target $input)"$'\n'
  done
  printf "%s" "$report"
  return 1
}

# Two targets at a time (a libFuzzer process is single-threaded; CI has two cores).
# A failed target leaves fuzz-work/<target>.failed.
parallel=${FUZZ_PARALLEL:-2}
mkdir -p "$build/fuzz-work"
for target in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= parallel )); do wait -n || true; done
  rm -f "$build/fuzz-work/$target.failed"
  { fuzz_target "$target" || touch "$build/fuzz-work/$target.failed"; } &
done
wait
failed=()
for target in "${targets[@]}"; do
  [[ -e $build/fuzz-work/$target.failed ]] && failed+=("$target")
done
echo "fuzz: total $(( $(date +%s) - start )) s"
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
