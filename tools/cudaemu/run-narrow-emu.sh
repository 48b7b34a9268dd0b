#!/bin/sh
# Builds and runs tools/cudaemu/narrow_emu.cpp (see its header) against the current src/backend/cuda/narrow.cu.
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the kernels: narrow.cu from its anonymous namespace up to the launch helpers; their device helpers come from
# narrowcommon.cuh (on the include path), which narrow_emu.cpp includes after defining the CUDA builtins
awk '/^namespace \{/{f=1; next} /^\/\* host side: the launch helpers/{f=0} f' "$root/src/backend/cuda/narrow.cu" > "$tmp/kernels.inc"
g++ -std=c++20 -O1 -pthread -Wall -Wno-unused-function -Wno-unknown-pragmas -I"$root/include" -I"$root/src/backend/cuda" -I"$tmp" "$root/tools/cudaemu/narrow_emu.cpp" "$root/src/backend/host/narrowref.c" -o "$tmp/emu"
"$tmp/emu"
