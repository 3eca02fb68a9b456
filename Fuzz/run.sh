#!/usr/bin/env bash
# Builds the libFuzzer harness (Fuzz/Package.swift) with AddressSanitizer and runs one parser's
# target, or all of them, for SECONDS each, starting from the committed seeds.
#
#   Fuzz/run.sh TARGET SECONDS [libFuzzer options]   e.g. Fuzz/run.sh image 600
#   Fuzz/run.sh all SECONDS                           every target in turn (CI: a few seconds)
#
# Targets: safetensors image exif results localize-results boxes grid vocabulary coco cub spair faces
# config preprocessor-config digests manifest safetensors-index http-headers tokenizer-files prompt.
# New interesting inputs go to Fuzz/Corpus/TARGET (not committed); a crash, timeout or
# out-of-memory input is written to Fuzz/Artifacts/ and the script exits non-zero.
# SWIFT_BACKTRACE=enable=no lets libFuzzer (not the Swift runtime) handle the crash and keep
# the input.
set -euo pipefail
cd "$(dirname "$0")"

targets=(safetensors image exif results localize-results boxes grid vocabulary coco cub spair faces config
    preprocessor-config digests manifest safetensors-index http-headers tokenizer-files prompt)
if [[ $# -lt 2 ]]; then
    echo "usage: Fuzz/run.sh TARGET|all SECONDS [libFuzzer options]; targets: ${targets[*]}" >&2
    exit 2
fi
target=$1 seconds=$2
shift 2

# The C shims (image codecs, kernels) are instrumented too, so the sanitizer watches them.
# (gold's "Cannot export local symbol" warnings about ASan internals are left out of the log.)
# The main package is a path dependency: when its files are removed or renamed, SwiftPM keeps a
# stale build description ("missing inputs"); dropping it makes the build plan again (cheap).
rm -f .build/debug.yaml
log=$(mktemp)
if ! swift build -c debug --product KeypointsFuzz \
        -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address >"$log" 2>&1; then
    grep -v "Cannot export local symbol" "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
binary=$(swift build -c debug --show-bin-path)/KeypointsFuzz

# libFuzzer options of one target. tokenizer-files: every input loads its vocab.json and
# merges.txt twice (~20 ms under ASan for the seeds' ~600 tokens, ~30 µs more per merge), so
# inputs stay near the seeds' size (6-11 KB) instead of the largest file in Corpus/.
target_options() {
    case $1 in
        tokenizer-files) echo "-max_len=12288" ;;
    esac
}

# Leaks are not checked (ASAN_OPTIONS detect_leaks=0: caches and runtime metadata live on), so
# libFuzzer's -detect_leaks is off too: with it an input that allocates more than it frees is run
# a second time (up to 1000 such inputs a run) for a leak check that cannot report.
run_one() {
    local t=$1
    shift
    mkdir -p "Corpus/$t" Artifacts
    echo "== $t: $seconds s" >&2
    # shellcheck disable=SC2046  # target_options gives whole words
    KEYPOINTS_FUZZ_TARGET=$t SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 \
        "$binary" "Corpus/$t" "Seeds/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -detect_leaks=0 -artifact_prefix="Artifacts/$t-" -print_final_stats=1 $(target_options "$t") "$@"
}

if [[ $target == all ]]; then
    for t in "${targets[@]}"; do run_one "$t" "$@"; done
else
    run_one "$target" "$@"
fi
