#!/bin/bash
# A/B of two descent builds on the benchmark workloads, interleaved (old, new, old, new, ...) in one
# run, printing each run's figure and the best of each side (the least disturbed run on a noisy VM).
#
#   tests/benchmarks/ab.sh OLD_BUILD NEW_BUILD [ROUNDS] [WORKLOADS]
#   tests/benchmarks/ab.sh ../old/build-bench build-bench 9 "W1 W3"
#
# A build is a tree with tests/benchmarks/bench_w1..w4 (compare.sh builds one in build-bench/).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: ab.sh OLD_BUILD NEW_BUILD [ROUNDS] [WORKLOADS]" >&2; exit 2; }
OLD=$1/tests/benchmarks NEW=$2/tests/benchmarks ROUNDS=${3:-5} WS=${4:-W1 W3}
declare -A KEY=([W1]=us_per_iter_min [W2]=s_per_epoch [W3]=us_per_step_min [W4]=ms_per_step)
figure() { "$1" 2>/dev/null | grep '^RESULT' | grep -o "$2=[0-9.]*" | cut -d= -f2; }
best() { printf "%s\n" "$@" | sort -g | head -1; }
for w in $WS; do
  [ -n "${KEY[$w]:-}" ] || { echo "ab.sh: unknown workload '$w' (W1 W2 W3 W4)" >&2; exit 2; }
  b=bench_$(echo "$w" | tr W w) o=() n=()
  for _ in $(seq "$ROUNDS"); do
    o+=("$(figure "$OLD/$b" "${KEY[$w]}")")
    n+=("$(figure "$NEW/$b" "${KEY[$w]}")")
  done
  bo=$(best "${o[@]}") bn=$(best "${n[@]}")
  echo "$w ${KEY[$w]}: old ${o[*]} | new ${n[*]} | best old $bo new $bn, new/old $(awk "BEGIN {printf \"%.3f\", $bn / $bo}")"
done
