#!/usr/bin/env bash
# Install test (issue 7): bash tests/install/run.sh BUILD_DIR SOURCE_DIR   (ctest: install_consumer, label install)
#
#   1. cmake --install BUILD_DIR --prefix TMP and check that the library (shared and static), the headers (public and
#      private), the options files, the docs, odyn.pc and the CMake package are there;
#   2. builds tests/install/consumer.c against TMP with pkg-config:
#        cc -O2 consumer.c $(pkg-config --cflags --libs odyn) -Wl,-rpath,$(pkg-config --variable=libdir odyn)
#      (PKG_CONFIG_PATH=TMP/<libdir>/pkgconfig), statically with libodyn.a, odyn.pc's Requires and its variable
#      privatelibs, and with CMake's find_package (tests/install/CMakeLists.txt: the shared and the static library):
#        cmake -S tests/install -B TMP/b -DCMAKE_PREFIX_PATH=TMP && cmake --build TMP/b
#   3. runs the four programs on 1 and 2 ranks: each must print the same line, with the version of odyn.pc and the
#      ||Y_N|| that awk computes independently (forward Euler, dense tanh layer, all parameters 0.1), and link
#      libodyn.so from TMP, not from the build tree.
# Exits 77 (skipped) in an AddressSanitizer tree: a program built without -fsanitize cannot load an instrumented library.
set -euo pipefail

build="$(cd "${1:?usage: run.sh BUILD_DIR SOURCE_DIR}" && pwd)"
src="$(cd "${2:?usage: run.sh BUILD_DIR SOURCE_DIR}" && pwd)"
cache="$build/CMakeCache.txt"
cachevar() { sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n 1; }

if [ "$(cachevar ODYN_WITH_ASAN)" = ON ]; then
  echo "install test: skipped in an AddressSanitizer build tree"
  exit 77
fi
cmake="$(cachevar CMAKE_COMMAND)";                    cmake="${cmake:-cmake}"
cc="$(cachevar CMAKE_C_COMPILER)";                    cc="${cc:-cc}"
mpiexec="$(cachevar MPIEXEC_EXECUTABLE)";             mpiexec="${mpiexec:-mpiexec}"
pkgconfig="$(cachevar PKG_CONFIG_EXECUTABLE)";        pkgconfig="${pkgconfig:-pkg-config}"
libdir="$(cachevar CMAKE_INSTALL_LIBDIR)";            libdir="${libdir:-lib}"

# What ctest sets (tests/CMakeLists.txt), for a run by hand: Open MPI as root, 2 ranks on 1 core, 1 BLAS thread.
export OMPI_ALLOW_RUN_AS_ROOT="${OMPI_ALLOW_RUN_AS_ROOT:-1}" OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}"
export OMPI_MCA_rmaps_base_oversubscribe="${OMPI_MCA_rmaps_base_oversubscribe:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/odyn-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
fail() { echo "install test: FAIL: $*" >&2; exit 1; }

echo "== cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" > "$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
for f in "$libdir/libodyn.so" "$libdir/libodyn.so.0" "$libdir/libodyn.a" include/odyn.h include/odynnet.h \
         include/odyn/private/netimpl.h include/odyn/private/layerimpl.h share/odyn/options/peaks.opts \
         share/doc/odyn/README.md share/doc/odyn/batch.md share/doc/odyn/design.md "$libdir/pkgconfig/odyn.pc" \
         "$libdir/cmake/odyn/odynConfig.cmake" "$libdir/cmake/odyn/odynConfigVersion.cmake" "$libdir/cmake/odyn/odynTargets.cmake"; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
done
[ "$(readlink "$prefix/$libdir/libodyn.so")" = libodyn.so.0 ] || fail "libodyn.so is not a link to libodyn.so.0"

echo "== pkg-config build"
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
version="$("$pkgconfig" --modversion odyn)"
pclibdir="$("$pkgconfig" --variable=libdir odyn)"
[ "$(cd "$pclibdir" && pwd -P)" = "$(cd "$prefix/$libdir" && pwd -P)" ] || fail "odyn.pc's libdir $pclibdir is not $prefix/$libdir"
flags="$("$pkgconfig" --cflags --libs odyn)"
echo "$cc -O2 consumer.c $flags -Wl,-rpath,$pclibdir"
"$cc" -O2 "$src/tests/install/consumer.c" $flags -Wl,-rpath,"$pclibdir" -o "$tmp/consumer_pc"
# the static library: libodyn.a, then PETSc and MPI (odyn.pc's Requires), then odyn's private libraries
requires="$("$pkgconfig" --print-requires odyn | awk '{print $1}')"
sflags="$("$pkgconfig" --cflags odyn) $pclibdir/libodyn.a $("$pkgconfig" --libs $requires) $("$pkgconfig" --variable=privatelibs odyn)"
echo "$cc -O2 consumer.c $sflags"
"$cc" -O2 "$src/tests/install/consumer.c" $sflags -o "$tmp/consumer_pc_static"

echo "== CMake find_package build"
"$cmake" -S "$src/tests/install" -B "$tmp/b" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" > "$tmp/configure.log" \
  || { cat "$tmp/configure.log"; fail "cmake configure of tests/install"; }
"$cmake" --build "$tmp/b" > "$tmp/build.log" || { cat "$tmp/build.log"; fail "cmake build of tests/install"; }

# The shared programs must load the installed library (the build tree holds one too).
for exe in "$tmp/consumer_pc" "$tmp/b/consumer"; do
  so="$(ldd "$exe" | awk '$1 ~ /^libodyn\.so/ {print $3}')"
  [ "$(cd "$(dirname "$so")" && pwd -P)" = "$(cd "$prefix/$libdir" && pwd -P)" ] || fail "$exe loads $so, not the installed library"
done
for exe in "$tmp/consumer_pc_static" "$tmp/b/consumer_static"; do
  if ldd "$exe" | grep -q libodyn; then fail "$exe loads libodyn.so"; fi
done

# ||Y_N|| of the consumer's network, computed without odyn: Y += h tanh(K Y + b) with K = 0.1 (2 x 2), b = 0.1, h = 1/4.
ref="$(awk 'function th(x) { return (exp(2 * x) - 1) / (exp(2 * x) + 1) }
  BEGIN { s = 0; for (e = 0; e < 10; e++) { y1 = 0.1 * ((7 * (2 * e + 1)) % 11) - 0.5; y2 = 0.1 * ((7 * (2 * e + 2)) % 11) - 0.5;
            for (k = 0; k < 4; k++) { z = th(0.1 * (y1 + y2) + 0.1); y1 += 0.25 * z; y2 += 0.25 * z }
            s += y1 * y1 + y2 * y2 }
          printf "%.6f", sqrt(s) }')"

for exe in consumer_pc consumer_pc_static b/consumer b/consumer_static; do
  for np in 1 2; do
    out="$("$mpiexec" -n $np "$tmp/$exe" -malloc_dump 2>&1)" || { echo "$out"; fail "$exe on $np rank(s) failed"; }
    echo "$exe, $np rank(s): $out"
    expect="odyn consumer: odyn $version, $np rank(s), 10 examples, 24 parameters, ||Y_N|| = "
    [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "$exe on $np rank(s) printed more than one line"
    case "$out" in "$expect"*) ;; *) fail "expected '$expect...'" ;; esac
    awk -v a="${out##*= }" -v b="$ref" 'BEGIN { d = a - b; exit !(d < 2e-6 && d > -2e-6) }' \
      || fail "||Y_N|| = ${out##*= }, computed independently: $ref"
  done
done
echo "install test: PASS (odyn $version, ||Y_N|| = $ref)"
