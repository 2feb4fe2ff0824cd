#!/usr/bin/env bash
# Every check CI runs, in this order; name stages to run only those: bash tests/ci.sh sanitize fuzz
#   tests     Release build with -Werror; the whole CTest suite (unit tests, samples, benchmark
#             smoke runs, install + consumer)
#   sanitize  AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer; and GCC's
#             float-cast-overflow, which -fsanitize=undefined leaves out) build; unit tests, samples
#   thread    ThreadSanitizer build of the two-threads test (tests/autograd/test_threads.cpp)
#   fuzz      libFuzzer on every file reader, 15 s per target (tests/fuzz/run.sh)
#   valgrind  memcheck on the three samples, in a portable build (valgrind cannot run AVX-512)
# The packages come from the README's test command. Build trees: build, build-asan, build-tsan,
# build-fuzz, build-valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=2
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(tests sanitize thread fuzz valgrind)

# Sanitizer builds: optimised (the tests must stay quick) with line tables for the reports. At -O1
# GCC 12 inlines xsimd differently and repeats its false "'__Y' is used uninitialized" inside the
# AVX-512 intrinsics (GCC bug 105593): silenced there; the `tests` stage is the -Werror build.
sanitizer_flags=(-DCMAKE_BUILD_TYPE=Release
                 "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -g1 -DNDEBUG -Wno-uninitialized -Wno-maybe-uninitialized")

stage_tests() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDESCENT_WERROR=ON
  cmake --build build -j$jobs
  ctest --test-dir build --output-on-failure -j$jobs
}

stage_sanitize() {
  cmake -S . -B build-asan "${sanitizer_flags[@]}" -DDESCENT_SANITIZE=address,undefined,float-cast-overflow
  cmake --build build-asan -j$jobs
  # The install consumer is built without sanitizers, and the benchmark smoke runs time nothing
  # useful here: both run in the plain build only.
  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j$jobs --timeout 900 -E '^(install_consumer|bench_)'
}

stage_thread() {
  cmake -S . -B build-tsan "${sanitizer_flags[@]}" -DDESCENT_SANITIZE=thread -DDESCENT_BUILD_SAMPLES=OFF
  cmake --build build-tsan -j$jobs --target test_threads
  # OpenBLAS's own worker threads are not instrumented: one BLAS thread per caller, so that what
  # TSan sees is descent's threads only.
  OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ./build-tsan/tests/test_threads
}

stage_fuzz() {
  bash tests/fuzz/run.sh 15
}

stage_valgrind() {
  cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDESCENT_NATIVE=OFF -DDESCENT_BUILD_TESTS=OFF
  cmake --build build-valgrind -j$jobs --target linear_regression custom_layer fashion_mnist
  # OpenBLAS picks its kernels from CPUID, which valgrind passes through: ask for AVX2 kernels.
  local memcheck=(env OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
                  valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
                  --show-leak-kinds=definite,indirect --quiet)
  "${memcheck[@]}" ./build-valgrind/samples/linear_regression
  "${memcheck[@]}" ./build-valgrind/samples/linear_regression --data samples/linear_regression/example.csv \
    --batch-size 16 --optimizer adam --lr 0.05 --epochs 5 --dtype float32
  "${memcheck[@]}" ./build-valgrind/samples/custom_layer
  "${memcheck[@]}" ./build-valgrind/samples/fashion_mnist --epochs 1 --limit 2000 --plot build-valgrind/fmnist.svg
}

for stage in "${stages[@]}"; do
  start=$SECONDS
  echo "=== ci: $stage"
  "stage_$stage"
  echo "=== ci: $stage passed in $((SECONDS - start)) s"
done
echo "=== ci: all passed (${stages[*]}) in $SECONDS s"
