#!/bin/bash
# tools/gpu-pack.sh [BUILD]: prepare everything tools/gpu-check.sh needs on the GPU machine (docs/gpu-kernels.md,
# /work/shared/gpu/README.md). Run HERE (the Debian build machine), from the repository root:
#   1. configure and build BUILD (default build-gpu) with the CUDA backend on (architecture 90: H100/H200);
#   2. copy the build tree without CMakeFiles/, object files and static archives, debug info stripped, to
#      .devcarry/build (ctest needs neither; the recorded absolute paths are re-linked by env.sh's rt_link_build);
#   3. pack Debian's libraries, Open MPI and an env.sh for exactly the binaries gpu-check.sh runs (every test labelled
#      gpu, bench_cuda, the peaks and mnist examples, libodyn.so, libodyn_cuda.so); the MNIST digits of gpu-e2e.sh with ../shared/gpu/pack-runtime.sh into .devcarry/runtime.tar.xz;
#   4. check that .devcarry plus the checkout stay under the 64 MiB that may travel to the GPU machine.
# Then the GPU session runs, with carry [".devcarry"]:  bash tools/gpu-check.sh
# .devcarry/ is ignored by git (.gitignore); delete it when done (rm -rf .devcarry).
set -euo pipefail
root=$(pwd)
[ -f "$root/include/odyn.h" ] || { echo "gpu-pack.sh: run me from the repository root" >&2; exit 1; }
src=${1:-build-gpu}
pack=${ODYN_PACK_RUNTIME:-$root/../shared/gpu/pack-runtime.sh}
[ -x "$pack" ] || pack=/work/shared/gpu/pack-runtime.sh
[ -x "$pack" ] || { echo "gpu-pack.sh: pack-runtime.sh not found (set ODYN_PACK_RUNTIME)" >&2; exit 1; }
export PATH=/usr/local/cuda/bin:$PATH

echo "== configure and build $src (CUDA on, arch 90)"
cmake -S "$root" -B "$src" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DODYN_WITH_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 > "$src.configure.log" 2>&1 \
  || { tail -20 "$src.configure.log"; exit 1; }
rm -f "$src.configure.log"
cmake --build "$src" -j2

echo "== the binaries the GPU run needs"
# the executables of the tests labelled gpu (their command's first path inside the build tree, after mpiexec's options)
mapfile -t tests < <(ctest --test-dir "$src" -L gpu --show-only=json-v1 | python3 -c '
import json, os, sys
root = os.path.realpath(sys.argv[1])
for t in json.load(sys.stdin)["tests"]:
    for a in t.get("command", []):
        if os.path.realpath(a).startswith(root + "/") and os.access(a, os.X_OK):
            print(os.path.realpath(a)); break
' "$src" | sort -u)
elves=("${tests[@]}" "$src/bench/bench_cuda" "$src/examples/peaks" "$src/examples/mnist" "$src/libodyn.so" "$src/libodyn_cuda.so")
for e in "${elves[@]}"; do [ -e "$e" ] || { echo "gpu-pack.sh: $e missing (did the build make it?)" >&2; exit 1; }; echo "  $e"; done

echo "== copy $src to .devcarry/build (no CMakeFiles, objects or archives; debug info stripped)"
rm -rf .devcarry/build
mkdir -p .devcarry/build
tar -C "$src" --exclude=CMakeFiles --exclude='*.o' --exclude='*.a' --exclude=Testing -cf - . | tar -C .devcarry/build -xf -
find .devcarry/build -type f \( -perm -u+x -o -name '*.so*' \) -print0 | while IFS= read -r -d '' f; do
  if head -c 4 "$f" | grep -q ELF; then strip --strip-debug "$f"; fi
done
# tell gpu-check.sh where the tree was built (rt_link_build recreates that path as a link on the GPU machine)
echo "$(cd "$src" && pwd)" > .devcarry/build-path
echo "$root" > .devcarry/source-path

# the MNIST digits of tools/gpu-e2e.sh's short MNIST run (1.6 MiB; docs/mnist.md says how /tmp/h3/mnist was made),
# else a slice of Fashion-MNIST
rm -rf .devcarry/data
if [ -f "${ODYN_MNIST_DIGITS:-/tmp/h3/mnist}/train-images-idx3-ubyte.gz" ]; then
  mkdir -p .devcarry/data && cp -r "${ODYN_MNIST_DIGITS:-/tmp/h3/mnist}" .devcarry/data/mnist
elif [ -f "${ODYN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}/train-images-idx3-ubyte.gz" ]; then
  # no digits here (a fresh machine): the first 3,000 Fashion-MNIST training images (Debian's dataset-fashion-mnist,
  # which CI installs), written as a smaller idx file: the same network and sizes, about 1 MiB instead of 26
  mkdir -p .devcarry/data/fashion
  python3 - "${ODYN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}" .devcarry/data/fashion 3000 << 'PY'
import gzip, struct, sys
src, dst, keep = sys.argv[1], sys.argv[2], int(sys.argv[3])
for name, dims in (("train-images-idx3-ubyte", 3), ("train-labels-idx1-ubyte", 1)):
    with gzip.open(f"{src}/{name}.gz", "rb") as f:
        head = f.read(4 + 4 * dims)
        shape = struct.unpack(">" + "I" * dims, head[4:])
        per = 1
        for d in shape[1:]:
            per *= d
        body = f.read(keep * per)
    with gzip.open(f"{dst}/{name}.gz", "wb") as g:
        g.write(head[:4] + struct.pack(">I", keep) + head[8:] + body)
PY
  echo "  no MNIST digits at ${ODYN_MNIST_DIGITS:-/tmp/h3/mnist}: gpu-e2e.sh runs its MNIST network on 3,000 Fashion-MNIST images instead"
else
  echo "  no MNIST digits at ${ODYN_MNIST_DIGITS:-/tmp/h3/mnist} and no Fashion-MNIST: gpu-e2e.sh will skip its MNIST run"
fi

echo "== pack the runtime (about 2 minutes)"
"$pack" .devcarry "${elves[@]}"

limit=$((64 * 1024 * 1024))
carry=$(du -sb .devcarry | cut -f1)
tree=$( (git ls-files -z; git ls-files -z --others --exclude-standard) | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
total=$((carry + tree))
printf '== .devcarry %.1f MiB + checkout %.1f MiB = %.1f MiB of 64 MiB\n' "$(echo "$carry/1048576" | bc -l)" "$(echo "$tree/1048576" | bc -l)" "$(echo "$total/1048576" | bc -l)"
if [ "$total" -ge "$limit" ]; then
  echo "gpu-pack.sh: over the 64 MiB that may travel to the GPU machine; the largest files:" >&2
  find .devcarry -type f -printf '%s %p\n' | sort -rn | head -10 >&2
  exit 1
fi
echo "gpu-pack.sh: ready. On the GPU machine (carry [\".devcarry\"]): bash tools/gpu-check.sh"
