#!/usr/bin/env bash
# The measurements issue 11 (bf16 on AMX) asks for, in one command, on the machine at hand:
#
#   Benchmarks/amx_session.sh [OUT_DIR]          # default OUT_DIR: ./bench-<host>-<date>
#
# Writes OUT_DIR/<run>.json (each `keypoints bench --json` document), OUT_DIR/<run>.stderr,
# OUT_DIR/info.txt (`keypoints info`, CPU flags, load) and OUT_DIR/summary.md (the tables of
# Benchmarks/amx_summary.py: images/s against the same run's raw product rate, the profile by
# operation class, the issue's targets met or not). Runs, in this order:
#   1. ViT-L/14-336 batch 8, fp32 (OpenBLAS), --profile                      (every CPU)
#   2. ViT-L/14-336 batch 8, bf16, --profile, for each --attention-batching
#      (all-heads, per-head) x --dnnl-threading (workers, openmp)            (bf16 CPUs)
#   3. ViT-B/32 batch 64, every precision and library the CPU has
#   4. ViT-L/14-336 batch 32 --localize examples/birds/albatross.jpg (15 CUB keypoints,
#      grids/fast.json), in the CPU's default precision (bf16, else fp32 on OpenBLAS)
#   5. PyTorch on the same work (examples/pytorch_bench.py, ViT-L/14-336 batch 8, fp32 and bf16
#      where the CPU has bf16), when `import torch, transformers` works (see examples/README.md)
# About 25-40 min on 2 cores. Run it on an otherwise idle machine: every figure is compared with
# the raw product rate measured in the same run, but a busy neighbour moves both unevenly.
#
# Environment: KEYPOINTS (an executable, a path relative to the current folder; default: build
# and use .build/release/keypoints),
# BENCH_SECONDS (minimum seconds per workload, default 5), QUICK=1 (ViT-B/32 at small batches
# and 1 s per workload, for checking the script itself: its figures answer nothing).
set -euo pipefail
# OUT_DIR and a KEYPOINTS path are the caller's (relative to the folder it runs this from); the
# script itself works from the repository root (examples/, grids/).
out=${1:-bench-$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [[ -n ${KEYPOINTS:-} && $KEYPOINTS == */* && $KEYPOINTS != /* ]]; then KEYPOINTS=$PWD/$KEYPOINTS; fi
cd "$(dirname "$0")/.."

if [[ -z ${KEYPOINTS:-} ]]; then
    swift build -c release --product keypoints >&2
    KEYPOINTS=$PWD/.build/release/keypoints
fi
if ! command -v "$KEYPOINTS" > /dev/null; then
    echo "amx_session.sh: KEYPOINTS=$KEYPOINTS is not an executable" >&2
    exit 1
fi
seconds=${BENCH_SECONDS:-5}
big=ViT-L/14-336 big_batch=8 small=ViT-B/32 small_batch=64 localize_batch=32
if [[ ${QUICK:-0} == 1 ]]; then
    seconds=1 big=ViT-B/32 big_batch=4 small_batch=8 localize_batch=16
fi

amx=$(grep -c amx_bf16 /proc/cpuinfo || true)
avx512bf16=$(grep -c avx512_bf16 /proc/cpuinfo || true)
info_status=0
{
    echo "date: $(date -u +%FT%TZ)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "cores: $(nproc)"
    echo "amx_bf16 cpus: $amx"
    echo "avx512_bf16 cpus: $avx512bf16"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "keypoints: $("$KEYPOINTS" --version)"
    "$KEYPOINTS" info || info_status=$?
} > "$out/info.txt" 2>&1
if ((info_status != 0)); then
    cat "$out/info.txt" >&2
    echo "amx_session.sh: keypoints info failed (exit $info_status)" >&2
    exit 1
fi
bf16=0
grep -q 'bf16 unavailable' "$out/info.txt" || bf16=1

# run NAME ARGS...: one bench, its JSON to NAME.json (kept only if the run succeeded).
run() {
    local name=$1
    shift
    echo "== $name: keypoints bench $* (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    if "$KEYPOINTS" bench --seconds "$seconds" --json "$@" > "$out/$name.json.tmp" 2> "$out/$name.stderr"; then
        mv "$out/$name.json.tmp" "$out/$name.json"
    else
        echo "   failed (exit $?): see $out/$name.stderr" >&2
        rm -f "$out/$name.json.tmp"
    fi
}

run big-fp32 --arch "$big" --batch "$big_batch" --precision fp32 --backend openblas --profile
if [[ $bf16 == 1 ]]; then
    for attention in all-heads per-head; do
        for threading in workers openmp; do
            run "big-bf16-$attention-$threading" --arch "$big" --batch "$big_batch" --precision bf16 \
                --attention-batching "$attention" --dnnl-threading "$threading" --profile
        done
    done
else
    echo "== bf16 runs skipped: keypoints info says bf16 is unavailable on this CPU" >&2
fi
run small --arch "$small" --batch "$small_batch"
if [[ $bf16 == 1 ]]; then default_precision=(--precision bf16); else default_precision=(--precision fp32 --backend openblas); fi
run localize --arch "$big" --batch "$localize_batch" "${default_precision[@]}" --localize examples/birds/albatross.jpg

if python3 -c 'import torch, transformers' 2> /dev/null; then
    precisions=(fp32)
    [[ $bf16 == 1 ]] && precisions+=(bf16)
    echo "== pytorch: examples/pytorch_bench.py --arch $big --batch $big_batch" >&2
    if python3 examples/pytorch_bench.py --arch "$big" --batch "$big_batch" --precision "${precisions[@]}" \
        --threads "$(nproc)" --seconds "$seconds" --json > "$out/pytorch.json.tmp" 2> "$out/pytorch.stderr"; then
        mv "$out/pytorch.json.tmp" "$out/pytorch.json"
    else
        echo "   failed: see $out/pytorch.stderr" >&2
        rm -f "$out/pytorch.json.tmp"
    fi
else
    echo "== pytorch skipped: python3 cannot import torch and transformers" >&2
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/info.txt"

python3 Benchmarks/amx_summary.py "$out" > "$out/summary.md.tmp"
mv "$out/summary.md.tmp" "$out/summary.md"
cat "$out/summary.md"
