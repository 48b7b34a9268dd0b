#!/bin/sh
# Builds and runs tools/cudaemu/conv_emu.cpp (see its header) against the current src/backend/cuda/convdirect.cu and
# the host convolution kernels (src/backend/host/conv.c, convdirect.c; hostblas.c for their tanh and axpby).
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the kernels: convdirect.cu between its markers (the cp.async helpers, constant arrays and host side stay out)
awk '/emu: kernels begin/{f=1; next} /emu: kernels end/{f=0} f' "$root/src/backend/cuda/convdirect.cu" > "$tmp/kernels.inc"
for f in conv convdirect hostblas; do
  gcc -std=c11 -O2 -I"$root/include" -c "$root/src/backend/host/$f.c" -o "$tmp/$f.o"
done
g++ -std=c++20 -O1 -fno-strict-aliasing -pthread -I"$root/include" -I"$root/tools/cudaemu" -I"$root/src/backend/cuda" -I"$tmp" "$root/tools/cudaemu/conv_emu.cpp" "$tmp/conv.o" "$tmp/convdirect.o" "$tmp/hostblas.o" -lopenblas -lm -o "$tmp/emu"
"$tmp/emu"
