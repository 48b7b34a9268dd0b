#!/bin/bash
# tools/gpu-check.sh: the one command of a GPU session (docs/gpu-kernels.md). Run in the repository root on the GPU
# machine, after tools/gpu-pack.sh prepared .devcarry/ here (carry [".devcarry"]; a tree in build/ is used when
# .devcarry/build is absent):
#   OUT=$OUT bash tools/gpu-check.sh > $OUT/console.log 2>&1      (device run with timeout_s >= GPU_CHECK_BUDGET + 60)
# It fits the device tool's present limits (/work/.library/device/README.md: 15 minutes of device time per task, the
# machine's start included; 10 minutes per command; at most 8 files come back from $OUT):
#   - the whole script ends within GPU_CHECK_BUDGET seconds (default 420: with a start of 1-2 minutes it leaves time for
#     one shorter rerun, e.g. GPU_CHECK_E2E=0). Steps run in order of importance; each one's time limit is its own
#     limit, cut to what the budget has left after the reserve the later steps need; a step with under 10 s left is
#     skipped and says so;
#   - $OUT holds three files whenever the run stops, killed or not: summary.log (rewritten after every step),
#     logs.tar.gz (every step's log, re-packed after every step) and the console.log the command line redirects to.
# Exit code: 0 when every step ran and passed.
set -uo pipefail
root=$(pwd)
OUT=${OUT:-$root/gpu-out}
LOGS=${GPU_CHECK_LOGS:-/tmp/gpu-check-logs} # the steps' own logs; packed into $OUT/logs.tar.gz
budget=${GPU_CHECK_BUDGET:-420}
mkdir -p "$OUT" "$LOGS"
declare -a names codes

left() { echo $((budget - SECONDS)); } # seconds of the budget left (SECONDS counts from the script's start)

pack() { # LOGS into OUT/logs.tar.gz (the oracle's data stays out: torch_compare.log has its verdicts), then the summary
  tar -czf "$OUT/logs.tar.gz.part" -C "$LOGS" --exclude=oracle . && mv "$OUT/logs.tar.gz.part" "$OUT/logs.tar.gz"
  summarize > "$OUT/summary.log"
}

step() { # step NAME LIMIT_S RESERVE_S COMMAND...: run under timeout, log to LOGS/NAME.log, remember the status
  local name=$1 limit=$2 reserve=$3; shift 3
  local t0=$SECONDS avail=$(($(left) - reserve))
  [ "$avail" -lt "$limit" ] && limit=$avail
  names+=("$name")
  if [ "$limit" -lt 10 ]; then
    echo "== $name: skipped, ${limit}s of the ${budget}s budget left for it" | tee "$LOGS/$name.log"
    codes+=("skipped")
    pack
    return
  fi
  echo "== $name (limit ${limit}s, ${reserve}s kept for the later steps): $*" | tee "$LOGS/$name.log"
  STEP_LIMIT=$limit timeout -k 10 "$limit" "$@" 2>&1 | tee -a "$LOGS/$name.log"
  local rc=${PIPESTATUS[0]}
  { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && echo "== $name: TIMED OUT after ${limit}s" | tee -a "$LOGS/$name.log"
  echo "== $name: exit $rc after $((SECONDS - t0))s" | tee -a "$LOGS/$name.log"
  codes+=("$rc")
  pack
}

summarize() {
  echo "== summary ($(date -u +%FT%TZ), ${SECONDS}s of the ${budget}s budget)"
  cat "$LOGS/machine.log" 2> /dev/null
  for i in "${!names[@]}"; do printf '  %-14s exit %s\n' "${names[$i]}" "${codes[$i]:-running}"; done
  echo "-- ctest"
  grep -E "tests passed|tests failed|\(Failed\)|\(Timeout\)|\(Skipped\)|Not Run|SEGFAULT|Total Test time" "$LOGS/ctest.log" 2> /dev/null || true
  echo "-- parity lines that failed"
  grep -E " FAIL$" "$LOGS/ctest.log" 2> /dev/null || echo "  none"
  echo "-- bench_cuda (targets beside the numbers)"
  grep -E "^(dense|leapfrog|verlet|parabolic|conv|loss|FAILED|bench_cuda)" "$LOGS/bench_cuda.log" 2> /dev/null || true
  echo "-- torch"
  grep -E "^(oracle|torch)" "$LOGS/torch_compare.log" 2> /dev/null || true
  echo "-- end to end (cuda and host side by side)"
  cat "$LOGS/e2e.log" 2> /dev/null || true
}

tree=.devcarry/build
[ -f "$tree/CTestTestfile.cmake" ] || tree=build
{
  echo "gpu-check.sh $(date -u +%FT%TZ) in $root, build tree $tree, budget ${budget}s"
  git log --oneline -1 2> /dev/null || true
  { command -v nvidia-smi > /dev/null && nvidia-smi -L; } 2>&1 || echo "nvidia-smi: not found"
} | tee "$LOGS/machine.log"

if [ ! -f .devcarry/runtime.tar.xz ] || [ ! -f "$tree/CTestTestfile.cmake" ]; then
  echo "gpu-check.sh: .devcarry/runtime.tar.xz or a build tree is missing: run tools/gpu-pack.sh on the build machine" | tee -a "$LOGS/machine.log"
  pack
  exit 1
fi
mkdir -p /tmp/rt && tar xJf .devcarry/runtime.tar.xz -C /tmp/rt
# shellcheck disable=SC1091
. /tmp/rt/env.sh
rt_link_build "$tree" "$root" 2>&1 | tee "$LOGS/runtime.log"
rt_check "$tree/bench/bench_cuda" "$tree/libodyn.so" "$tree/libodyn_cuda.so" 2>&1 | tee -a "$LOGS/runtime.log"
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1

# 1. the GPU tests (parity, dot products, finite differences, bad input; part 1's backend tests too), four at a time
#    (16 cores; each test is small for the GPU)
step ctest 180 150 ctest --test-dir "$tree" -L gpu -V -j4 --timeout 120
# 2. the benchmark on issue 8's shapes
step bench_cuda 90 100 "$tree/bench/bench_cuda" -reps 10
# 3. the oracle: odyn's outputs of small nets, then torch.autograd on the same data; PyTorch on the same shapes
step oracle_dump 30 80 "$tree/bench/bench_cuda" -dump "$LOGS/oracle"
step torch_compare 100 40 python3 bench/torch_compare.py --oracle "$LOGS/oracle" --bench --reps 5 --budget 60
# 4. end to end: peaks and a short MNIST run on cuda and host side by side, MNIST on cuda without the hand-over
#    (tools/gpu-e2e.sh: its pairs in order of importance within the time it is given);
#    GPU_CHECK_E2E=0 leaves it out (a rerun after a kernel change)
[ "${GPU_CHECK_E2E:-1}" = 0 ] || step end_to_end 600 5 bash tools/gpu-e2e.sh "$tree" "$LOGS"

pack
cat "$OUT/summary.log"
for c in "${codes[@]}"; do [ "$c" = 0 ] || exit 1; done
exit 0
