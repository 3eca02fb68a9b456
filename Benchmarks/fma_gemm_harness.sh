#!/bin/sh
# Builds and runs Benchmarks/fma_gemm_harness.c: the invariant kernel of the working tree against
# OpenBLAS and against a baseline kernel, in one process. The baseline is the kernel of git
# revision BASE (default main), or the kp_fma_gemm.c and kp_fma_gemm.h in directory BASE_DIR.
# Usage: Benchmarks/fma_gemm_harness.sh [threads=2] [rounds=5] [vitb|vitl|all]
# Environment: BASE, BASE_DIR, CC (clang), CFLAGS (-O2, both kernels), KERNEL_CFLAGS and
# BASE_CFLAGS (one kernel only, e.g. -D overrides of its blocking), KP_HARNESS_CPU_TIME=1
# (rates of CPU time instead of wall time), KP_HARNESS_SPLIT=halves and KP_HARNESS_NO_PACK=1 (the
# kernel split and read as before, see the .c), OPENBLAS_CORETYPE (Haswell, as keypoints sets it).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/kp_fma_harness.XXXXXX")
trap 'rm -rf "$out"' EXIT
cc=${CC:-clang}
flags=${CFLAGS:--O2}
if [ -n "${BASE_DIR:-}" ]; then
    cp "$BASE_DIR/kp_fma_gemm.c" "$out/base.c"
    cp "$BASE_DIR/kp_fma_gemm.h" "$out/kp_fma_gemm.h"
else
    base=${BASE:-main}
    git -C "$root" show "$base:Sources/CKernels/kp_fma_gemm.c" >"$out/base.c"
    git -C "$root" show "$base:Sources/CKernels/include/kp_fma_gemm.h" >"$out/kp_fma_gemm.h"
fi
cp "$root/Sources/CKernels/include/kp_kernels.h" "$root/Sources/CKernels/kp_kernels_private.h" "$out/"
# The baseline's public symbols get a base_ prefix, so both kernels link into one program.
rename=""
for f in kp_fma_panel_floats kp_fma_pack_rows kp_fma_pack_cols kp_fma_gemm_reference kp_fma_gemm_isa \
    kp_fma_gemm_row_block kp_fma_gemm; do
    rename="$rename -D$f=base_$f"
done
# shellcheck disable=SC2086
$cc $flags ${BASE_CFLAGS:-} -c -I"$out" $rename "$out/base.c" -o "$out/base.o"
# shellcheck disable=SC2086
$cc $flags ${KERNEL_CFLAGS:-} -c -I"$root/Sources/CKernels/include" -I"$root/Sources/CKernels" \
    "$root/Sources/CKernels/kp_fma_gemm.c" -o "$out/kernel.o"
# A baseline whose kp_fma_gemm takes an x pack buffer (this change on) is called with one.
grep -q "float \*x_pack)" "$out/kp_fma_gemm.h" && flags="$flags -DKP_HARNESS_BASE_PACKS"
# shellcheck disable=SC2086
$cc $flags -I"$root/Sources/CKernels/include" "$root/Benchmarks/fma_gemm_harness.c" \
    "$out/kernel.o" "$out/base.o" -o "$out/harness" -lopenblas -lpthread -lm
OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} "$out/harness" "$@"
