#!/bin/sh
# tools/cudaemu/run-backend-emu.sh [test-name-regex]: the WHOLE cuda backend (every src/backend/cuda/*.cu, host side
# and kernels, unmodified) compiled as C++ for the CPU and the GPU tests (tests/gpu/test_gpu_*.c, ctest label gpu) run
# against it, on a machine without a GPU. emu-rewrite.py turns each .cu into C++ (launches, shared memory, cp.async);
# shim/ has cuda_runtime.h and cublas_v2.h (cudart_emu.cpp: device memory as guarded host pages, cuBLAS through
# OpenBLAS); fiberemu.h runs the threads of each block as fibers with real barriers and shuffles. The result is
# libodyn_cuda.so beside a libodyn.so built with the CUDA backend's loader (ODYN_HAVE_CUDA=1) but without nvcc, in
# $ODYN_EMU_BUILD (default <repo>/build-emu, a CMake tree configured here if it does not exist); the emulated library,
# the test programs and their logs go to $ODYN_EMU_OUT (default $ODYN_EMU_BUILD/cudaemu). The tests run as
# ctest would (mpiexec -n 1 or 2, -malloc_dump, exit 2 = skipped, a leak report fails) with $ODYN_EMU_TIMEOUT seconds
# each (default 1800). What it proves and what not: docs/gpu.md ("CPU emulation of the whole backend").
# Environment: ODYN_EMU_CUDA_SRC (another copy of src/backend/cuda, e.g. a mutated one: does a test catch it?),
# ODYN_EMU_TIMEOUT, ODYN_EMU_JOBS (compile jobs, 2), ODYN_CUDAEMU_MEM_GIB (device memory, default 139), ODYN_CUDAEMU_VERBOSE=1 (why a launch was refused).
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${ODYN_EMU_BUILD:-$root/build-emu}
filter=${1:-.}
J=${ODYN_EMU_JOBS:-2}
start=$(date +%s)
if [ ! -f "$B/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DODYN_WITH_CUDA=OFF -DCMAKE_C_FLAGS=-DODYN_HAVE_CUDA=1 >/dev/null
fi
cmake --build "$B" -j"$J" --target odyn odyntest >/dev/null
E=${ODYN_EMU_OUT:-$B/cudaemu}
mkdir -p "$E/gen" "$E/obj" "$E/bin" "$E/lib"
rm -f "$E"/gen/*
python3 "$root/tools/cudaemu/emu-rewrite.py" "${ODYN_EMU_CUDA_SRC:-$root/src/backend/cuda}" "$E/gen"
CXXFLAGS="-std=c++17 -O2 -g -fPIC -fno-strict-aliasing -Wall -Wno-unused-parameter -Wno-unused-variable -Wno-unused-function -Wno-unknown-pragmas -Wno-sign-compare -D__CUDACC__ -DODYN_HAVE_CUDA=1 -I$root/tools/cudaemu/shim -I$root/tools/cudaemu -I$root/include"
objs=""
pids=""
for f in "$E"/gen/*.cpp "$root/tools/cudaemu/shim/cudart_emu.cpp"; do
  o=$E/obj/$(basename "$f" .cpp).o
  objs="$objs $o"
  g++ $CXXFLAGS -c "$f" -o "$o" &
  pids="$pids $!"
  if [ $(echo $pids | wc -w) -ge "$J" ]; then
    for p in $pids; do wait $p; done
    pids=""
  fi
done
for p in $pids; do wait $p; done
# libodyn looks for libodyn_cuda.so beside itself (src/sys/backend.c): both in $E/lib, libodyn.so as links to $B's
g++ -shared -o "$E/lib/libodyn_cuda.so" $objs -lopenblas -lm
for l in "$B"/libodyn.so*; do ln -sf "$l" "$E/lib/$(basename "$l")"; done
# the tests, as tests/CMakeLists.txt builds them (odyn_add_gpu_test)
petsc_cflags=$(pkg-config --cflags PETSc)
petsc_libs=$(pkg-config --libs PETSc)
check_libs=$(pkg-config --libs check)
for src in "$root"/tests/gpu/test_gpu_*.c; do
  t=$(basename "$src" .c)
  echo "$t" | grep -Eq "$filter" || continue
  mpicc -std=gnu11 -O2 -g -Wall -Wno-unused-function -DODYN_HAVE_CUDA=1 -I"$root/tools/cudaemu/shim" -I"$root/include" -I"$root/tests/common" -I"$root/tests" \
    $petsc_cflags "$src" -o "$E/bin/$t" "$B/tests/libodyntest.a" -L"$E/lib" -Wl,-rpath,"$E/lib" -lodyn -lodyn_cuda $petsc_libs $check_libs -lm
done
built=$(date +%s)
echo "built in $((built - start)) s"
# the tests and their ranks, as registered in tests/CMakeLists.txt (odyn_add_gpu_test, odyn_add_backend_test)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
fails=0
# (odyn_add_backend_test(base) registers test_gpu_<base> on 1 rank and test_gpu_<base>_mpi on 2, as the CMake function)
entries=$( (grep -o 'odyn_add_gpu_test([^)]*)' "$root/tests/CMakeLists.txt" | grep -v '^odyn_add_gpu_test(\(name\|test_gpu_\${base}\)' | sed 's/odyn_add_gpu_test(//; s/)//; s/ /:/g'
  grep -o '^odyn_add_backend_test([A-Za-z0-9_]*)' "$root/tests/CMakeLists.txt" | sed 's/odyn_add_backend_test(\(.*\))/test_gpu_\1 test_gpu_\1_mpi:NP:2:SOURCE:test_gpu_\1/') )
for entry in $entries; do
  name=${entry%%:*}
  np=1
  srcname=$name
  case "$entry" in *:NP:*) np=$(echo "$entry" | sed 's/.*:NP:\([0-9]*\).*/\1/') ;; esac
  case "$entry" in *:SOURCE:*) srcname=$(echo "$entry" | sed 's/.*:SOURCE:\([A-Za-z0-9_]*\).*/\1/') ;; esac
  echo "$name" | grep -Eq "$filter" || continue
  [ -x "$E/bin/$srcname" ] || continue
  t0=$(date +%s)
  set +e
  mkdir -p "$E/run/$name" # each test in its own folder, as ctest runs them (files a test writes stay out of the tree)
  (cd "$E/run/$name" && timeout "${ODYN_EMU_TIMEOUT:-1800}" mpiexec -n "$np" "$E/bin/$srcname" -malloc_dump) >"$E/$name.log" 2>&1
  rc=$?
  set -e
  t1=$(date +%s)
  if grep -Eq '\[ *[0-9]+\] *[0-9]+ bytes [A-Za-z_]' "$E/$name.log"; then rc=99; fi
  case $rc in
  0) res=passed ;; 2) res=SKIPPED ;; 99) res="FAILED (leak)" ;; 124) res="FAILED (timeout)" ;; *) res="FAILED (exit $rc)" ;;
  esac
  [ "$rc" = 0 ] || fails=$((fails + 1))
  printf '%-34s %-18s %5d s   log: %s\n' "$name" "$res" $((t1 - t0)) "$E/$name.log"
done
echo "total $(($(date +%s) - start)) s, $fails not passed"
[ "$fails" = 0 ]
