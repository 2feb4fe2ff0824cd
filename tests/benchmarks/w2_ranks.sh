#!/bin/bash
# W2 on one process against W2 over MPI ranks with DataParallel, interleaved in one run (the VM is
# noisy: compare only within a run), the same global batch of 128 everywhere:
#   one process    bench_w2 with OpenBLAS's 2 threads (descent's intra-op pool: its default), and
#                  with one thread (OPENBLAS_NUM_THREADS=1 DESCENT_NUM_THREADS=1)
#   2 ranks        bench_w2_mpi, 64 images per rank, 1 BLAS and 1 intra-op thread per rank, with
#                  one 25 MB bucket (the default: this model's 0.9 MB of gradients in one), 256 KB
#                  buckets with overlap, and 256 KB buckets without overlap
# Prints every run's s/epoch and the best of each (the least disturbed), and rank 0's communication
# figures of the last run of each MPI variant.
#
#   tests/benchmarks/w2_ranks.sh [BUILD] [ROUNDS] [EPOCHS]      (defaults: build 3 3)
set -euo pipefail
B=${1:-build}/tests/benchmarks ROUNDS=${2:-3} EPOCHS=${3:-3}
mpirun=(mpirun -np 2 --oversubscribe -x OPENBLAS_NUM_THREADS=1 -x DESCENT_NUM_THREADS=1)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
declare -A runs last
variants=("1 process x 2 threads" "2 ranks, 1 bucket" "2 ranks, 256 KB buckets" "2 ranks, 256 KB, no overlap"
          "1 process x 1 thread")
run() {
  case $1 in
    0) "$B/bench_w2" --epochs "$EPOCHS" ;;
    1) "${mpirun[@]}" "$B/bench_w2_mpi" --epochs "$EPOCHS" ;;
    2) "${mpirun[@]}" "$B/bench_w2_mpi" --epochs "$EPOCHS" --bucket-kb 256 ;;
    3) "${mpirun[@]}" "$B/bench_w2_mpi" --epochs "$EPOCHS" --bucket-kb 256 --overlap 0 ;;
    4) OPENBLAS_NUM_THREADS=1 DESCENT_NUM_THREADS=1 "$B/bench_w2" --epochs "$EPOCHS" ;;
  esac
}
for _ in $(seq "$ROUNDS"); do
  for v in 0 1 2 3 4; do
    out=$(run $v 2>/dev/null)
    runs[$v]+=" $(grep '^RESULT' <<<"$out" | grep -o 's_per_epoch=[0-9.]*' | cut -d= -f2)"
    last[$v]=$(grep '^W2-MPI epoch' <<<"$out" | tail -1 || true)
  done
done
for v in 0 1 2 3 4; do
  best=$(tr ' ' '\n' <<<"${runs[$v]}" | grep . | sort -g | head -1)
  printf "%-30s s/epoch:%s | best %s\n" "${variants[$v]}" "${runs[$v]}" "$best"
  [ -n "${last[$v]}" ] && printf "%-30s %s\n" "" "${last[$v]}"
done
