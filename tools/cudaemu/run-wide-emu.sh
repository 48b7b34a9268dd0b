#!/bin/sh
# Builds and runs tools/cudaemu/wide_emu.cpp (see its header) against the current src/backend/cuda/wide.cu.
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the kernel: wide.cu between its two "fused wide forward" markers
awk '/^\/\* ---- fused wide forward/{f=1} /^\/\* ---- end of the fused wide forward/{f=0} f' "$root/src/backend/cuda/wide.cu" > "$tmp/kernels.inc"
g++ -std=c++20 -O1 -pthread -I"$root/include" -I"$root/src/backend/cuda" -I"$tmp" "$root/tools/cudaemu/wide_emu.cpp" "$root/src/backend/host/narrowref.c" -o "$tmp/emu"
"$tmp/emu"
