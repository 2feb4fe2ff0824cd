#!/bin/bash
# Runs descent's benchmark workloads side by side with their LibTorch baselines, interleaved
# (libtorch, descent, libtorch, descent, ...) on this machine in one run, and prints a table of
# medians and ratios (throughput ratio descent/libtorch: above 1 means descent is faster).
#
#   tests/benchmarks/compare.sh [RUNS]           RUNS per side and workload (default 5)
#   ONLY="W1 W3" tests/benchmarks/compare.sh 3   a subset of PEAK W1 W2 W3 W4 W5 W6 W7
#   W2_RUNS=1 tests/benchmarks/compare.sh 3      fewer runs of the slow W2 (5 epochs each)
#   W5_RUNS=1 tests/benchmarks/compare.sh 3      fewer runs of the slow W5 (1 CNN epoch, ~1 min)
#
# The baselines (LibTorch programs + peak_sgemm) come from $DESCENT_BASELINES, by default
# ../shared/bench next to the repository. If their binaries (bin/) are missing, they are built
# with the folder's build.sh in a copy under build-bench/baselines/. Needs Debian's libtorch-dev,
# libopenblas-dev, zlib1g-dev and, for W2 and W5, dataset-fashion-mnist ($FMNIST_DIR overrides the folder).
# descent's programs are built in Release in build-bench/. Raw RESULT lines go to
# build-bench/compare-<date>.log.
set -euo pipefail

RUNS=${1:-5}
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: RUNS must be a positive integer, got '$RUNS'" >&2; exit 2; }
W2_RUNS=${W2_RUNS:-$RUNS}
W5_RUNS=${W5_RUNS:-$RUNS}
ONLY=${ONLY:-PEAK W1 W2 W3 W4 W5 W6 W7}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASE=${DESCENT_BASELINES:-$ROOT/../shared/bench}
BUILD=$ROOT/build-bench
FMNIST_DIR=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
export FMNIST_DIR

for w in $ONLY; do
  case $w in PEAK | W1 | W2 | W3 | W4 | W5 | W6 | W7) ;; *) echo "compare.sh: unknown workload '$w' in ONLY (PEAK W1 W2 W3 W4 W5 W6 W7)" >&2; exit 2 ;; esac
done

# --- the baselines ---------------------------------------------------------------------------
if [ ! -d "$BASE" ]; then
  echo "compare.sh: no LibTorch baselines at $BASE; set DESCENT_BASELINES to the folder holding" >&2
  echo "  w1_linreg.cpp ... peak_sgemm.c and build.sh (they need: apt-get install -y libtorch-dev" >&2
  echo "  libopenblas-dev zlib1g-dev dataset-fashion-mnist)" >&2
  exit 1
fi
BASE=$(cd "$BASE" && pwd)
BIN=$BASE/bin
have_bins() {
  for p in w1_linreg w2_mlp_fmnist w3_overhead w4_compute w5_cnn_fmnist w6_transformer_lm w7_lstm peak_sgemm; do [ -x "$1/$p" ] || return 1; done
}
if ! have_bins "$BIN"; then
  BIN=$BUILD/baselines/bin
  if ! have_bins "$BIN"; then
    if [ ! -f /usr/include/torch/csrc/api/include/torch/torch.h ]; then
      echo "compare.sh: LibTorch headers missing. Install them with:" >&2
      echo "  apt-get install -y libtorch-dev libopenblas-dev zlib1g-dev" >&2
      exit 1
    fi
    echo "== building the LibTorch baselines from $BASE in $BUILD/baselines (a few minutes)"
    mkdir -p "$BUILD/baselines"
    cp "$BASE"/build.sh "$BASE"/*.cpp "$BASE"/*.h "$BASE"/*.c "$BUILD/baselines/"
    chmod -R u+w "$BUILD/baselines"
    (cd "$BUILD/baselines" && ./build.sh >build.log 2>&1) || {
      echo "compare.sh: building the baselines failed, see $BUILD/baselines/build.log" >&2
      exit 1
    }
  fi
fi

# --- descent's programs ---------------------------------------------------------------------------
echo "== building descent's benchmarks (Release) in $BUILD"
mkdir -p "$BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDESCENT_BUILD_SAMPLES=OFF -DDESCENT_BUILD_TESTS=ON >"$BUILD/cmake.log" 2>&1 ||
  { cat "$BUILD/cmake.log" >&2; exit 1; }
cmake --build "$BUILD" -j2 --target bench_w1 bench_w2 bench_w3 bench_w4 bench_w5 bench_w6 bench_w7 >"$BUILD/build.log" 2>&1 ||
  { tail -40 "$BUILD/build.log" >&2; echo "compare.sh: building descent's benchmarks failed ($BUILD/build.log)" >&2; exit 1; }
DBIN=$BUILD/tests/benchmarks

if [[ " $ONLY " =~ \ W[25]\  ]] && [ ! -f "$FMNIST_DIR/train-images-idx3-ubyte.gz" ]; then
  echo "compare.sh: Fashion-MNIST not found in $FMNIST_DIR: W2 and W5 skipped." >&2
  echo "  Install it with: apt-get install -y dataset-fashion-mnist (or set FMNIST_DIR)" >&2
  ONLY=$(echo " $ONLY " | sed 's/ W2 / /; s/ W5 / /')
fi

TIME=/usr/bin/time
if [ ! -x $TIME ]; then
  echo "compare.sh: /usr/bin/time missing (apt-get install -y time): LibTorch's max RSS not measured" >&2
  TIME=""
fi

declare -A LT=([PEAK]="$BIN/peak_sgemm 5" [W1]="$BIN/w1_linreg" [W2]="$BIN/w2_mlp_fmnist"
               [W3]="$BIN/w3_overhead" [W4]="$BIN/w4_compute" [W5]="$BIN/w5_cnn_fmnist"
               [W6]="$BIN/w6_transformer_lm" [W7]="$BIN/w7_lstm")
declare -A DE=([W1]="$DBIN/bench_w1" [W2]="$DBIN/bench_w2" [W3]="$DBIN/bench_w3" [W4]="$DBIN/bench_w4"
               [W5]="$DBIN/bench_w5" [W6]="$DBIN/bench_w6" [W7]="$DBIN/bench_w7")

LOG=$BUILD/compare-$(date +%Y%m%d-%H%M%S).log
: >"$LOG"
# Runs one program, appends its RESULT lines to the log, and (under /usr/bin/time) a
# "RESULT <W> <side>-rss max_rss_kb=<kB>" line with the process's peak resident set.
run_one() {
  local w=$1 side=$2 cmd=$3 out rss_file
  rss_file=$(mktemp)
  if [ -n "$TIME" ]; then
    out=$($TIME -o "$rss_file" -f "%M" $cmd 2>&1) || out="$out"$'\n'"RESULT $w $side FAILED"
  else
    out=$($cmd 2>&1) || out="$out"$'\n'"RESULT $w $side FAILED"
  fi
  echo "$out" | grep '^RESULT' | tee -a "$LOG" || true
  if [ -n "$TIME" ] && [ -s "$rss_file" ]; then
    echo "RESULT $w $side-rss max_rss_kb=$(tail -1 "$rss_file")" >>"$LOG"
  fi
  rm -f "$rss_file"
}

echo "== running: RUNS=$RUNS W2_RUNS=$W2_RUNS W5_RUNS=$W5_RUNS ONLY=\"$ONLY\" (baselines: $BIN)"
for w in $ONLY; do
  n=$RUNS
  [ "$w" = W2 ] && n=$W2_RUNS
  [ "$w" = W5 ] && n=$W5_RUNS
  for r in $(seq 1 "$n"); do
    run_one "$w" libtorch "${LT[$w]}"
    [ "$w" = PEAK ] || run_one "$w" descent "${DE[$w]}"
  done
done

# --- the table ---------------------------------------------------------------------------------------
echo
echo "== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-unset}; medians of $RUNS runs per side (W2: $W2_RUNS, W5: $W5_RUNS)"
echo "== raw RESULT lines: $LOG"
awk '
function median(list,   n, v, i, j, t) {
  n = split(list, v, " ")
  for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
  if (n == 0) return ""
  return (n % 2) ? v[(n + 1) / 2] : 0.5 * (v[n / 2] + v[n / 2 + 1])
}
function add(w, side, key, value) { vals[w, side, key] = vals[w, side, key] " " value; count[w, side, key]++ }
$1 == "RESULT" {
  w = $2; side = $3
  if ($4 == "FAILED") { failed[w, side]++; next }
  if (w == "PEAK") {
    split($4, m, "="); split($5, nn, "="); split($6, kk, "=")
    tag = "sgemm_" m[2] "x" nn[2] "x" kk[2]
    for (i = 7; i <= NF; i++) if ($i ~ /^gflops_median=/) { split($i, kv, "="); add(w, "libtorch", tag, kv[2]) }
    if (m[2] == 2048 && nn[2] == 2048) peak_tag = tag
    next
  }
  if (side == "libtorch-rss") { split($4, kv, "="); add(w, "libtorch", "max_rss_kb", kv[2]); next }
  if (side == "descent-rss") { split($4, kv, "="); add(w, "descent", "time_rss_kb", kv[2]); next }
  for (i = 4; i <= NF; i++) if (split($i, kv, "=") == 2 && kv[2] ~ /^-?[0-9.eE+-]+$/) add(w, side, kv[1], kv[2])
}
# One row: kind "time" (lower is better: ratio libtorch/descent), "rate" (higher is better:
# ratio descent/libtorch) or "value" (no ratio).
function row(w, key, kind, label,   a, b, ratio) {
  if (!((w, "libtorch", key) in count) && !((w, "descent", key) in count)) return
  a = ((w, "libtorch", key) in count) ? median(vals[w, "libtorch", key]) : ""
  b = ((w, "descent", key) in count) ? median(vals[w, "descent", key]) : ""
  ratio = ""
  if (a != "" && b != "" && a + 0 != 0 && b + 0 != 0) {
    if (kind == "time") ratio = sprintf("%.3f", a / b)
    else if (kind == "rate") ratio = sprintf("%.3f", b / a)
    else if (kind == "mem") ratio = sprintf("%.2fx mem", b / a)
  }
  if (kind == "mem") { a = (a == "" ? "" : sprintf("%d", a)); b = (b == "" ? "" : sprintf("%d", b)) }
  printf "%-5s %-28s %14s %14s %10s\n", w, (label != "" ? label : key), (kind == "mem" ? a : fmt(a)), (kind == "mem" ? b : fmt(b)), ratio
}
function fmt(x) { if (x == "") return "-"; if (x + 0 >= 1000) return sprintf("%.1f", x); if (x + 0 >= 1) return sprintf("%.3f", x); return sprintf("%.4g", x) }
END {
  printf "%-5s %-28s %14s %14s %10s  %s\n", "W", "key", "LibTorch", "descent", "ratio", "(ratio = descent throughput / LibTorch throughput)"
  print "----- ---------------------------- -------------- -------------- ----------"
  row("PEAK", "sgemm_2048x2048x2048", "value", "OpenBLAS sgemm 2048^3 GF/s")
  row("PEAK", "sgemm_256x2048x1024", "value", "OpenBLAS 256x2048x1024 GF/s")
  row("W1", "us_per_iter", "time")
  row("W1", "weight", "value"); row("W1", "ols_weight", "value"); row("W1", "bias", "value"); row("W1", "ols_bias", "value")
  row("W1", "final_mse", "value")
  row("W2", "samples_per_s", "rate"); row("W2", "s_per_epoch", "time")
  row("W2", "acc_epoch1", "value"); row("W2", "acc_epoch5", "value")
  row("W2", "max_rss_kb", "mem", "max_rss_kb (peak RSS)")
  row("W3", "us_per_step", "time"); row("W3", "final_batch_mse", "value")
  row("W4", "ms_per_step", "time"); row("W4", "ms_per_step_median", "time"); row("W4", "gflops", "rate")
  if (peak_tag != "" && ("W4", "descent", "gflops") in count) {
    p = median(vals["PEAK", "libtorch", peak_tag])
    d = median(vals["W4", "descent", "gflops"])
    l = (("W4", "libtorch", "gflops") in count) ? sprintf("%.1f%%", 100 * median(vals["W4", "libtorch", "gflops"]) / p) : "-"
    printf "%-5s %-28s %14s %14s %10s  %s\n", "W4", "gflops % of PEAK 2048^3", l, sprintf("%.1f%%", 100 * d / p), "", ""
  }
  row("W5", "samples_per_s", "rate"); row("W5", "s_per_epoch", "time")
  row("W5", "acc_epoch1", "value"); row("W5", "acc_last", "value")
  row("W5", "max_rss_kb", "mem", "max_rss_kb (peak RSS)")
  row("W6", "ms_per_step", "time"); row("W6", "ms_per_step_median", "time"); row("W6", "tokens_per_s", "rate")
  row("W6", "final_loss", "value"); row("W6", "max_rss_kb", "mem", "max_rss_kb (peak RSS)")
  row("W7", "ms_per_step", "time"); row("W7", "ms_per_step_median", "time"); row("W7", "sequences_per_s", "rate")
  row("W7", "final_loss", "value"); row("W7", "max_rss_kb", "mem", "max_rss_kb (peak RSS)")
  for (k in failed) { split(k, f, SUBSEP); printf "FAILED: %s %s (%d runs)\n", f[1], f[2], failed[k] }
}' "$LOG"
