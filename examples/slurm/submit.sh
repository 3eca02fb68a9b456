#!/usr/bin/env bash
# Submits a whole keypoints evaluation to Slurm: a fetch job (the model, once), an array of
# SHARDS evaluation tasks that depends on it, and a merge job that depends on the array.
# With `localize` in place of the dataset: the same chain over a folder of photos
# (localize-array.sbatch, localize-merge.sbatch), the keypoints given after SHARDS.
#
#   examples/slurm/submit.sh DATASET ROOT OUTDIR SHARDS [keypoints eval options...]
#   examples/slurm/submit.sh cub ~/data/CUB_200_2011 ~/results/cub 64
#   examples/slurm/submit.sh localize PHOTOS OUTDIR SHARDS (--vocabulary FILE | --keypoint TEXT...) [options...]
#   examples/slurm/submit.sh localize ~/data/photos ~/results/photos 64 --vocabulary cub
#
# Environment: KEYPOINTS (default: this checkout's .build/release/keypoints), MODEL (default
# ViT-L/14-336; a directory skips the fetch job), CPUS (per task, default 8). Any other sbatch
# option through Slurm's own variables, e.g. SBATCH_PARTITION=cpu SBATCH_ACCOUNT=lab
# SBATCH_TIMELIMIT=12:00:00. Prints the job ids; the results are OUTDIR/report.txt and
# OUTDIR/pck.png (localize: OUTDIR/predictions.csv) when the merge job has run.
set -euo pipefail
if [[ $# -lt 4 ]]; then
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
dataset=$1 root=$2 outdir=$3 shards=$4
shift 4
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: SHARDS must be a positive integer, got $shards" >&2; exit 2; }
if [[ $dataset == localize ]]; then
    keypoints_given=""
    for argument in "$@"; do
        [[ $argument == --vocabulary || $argument == --vocabulary=* || $argument == --keypoint || $argument == --keypoint=* ]] \
            && keypoints_given=1
    done
    [[ -n $keypoints_given ]] \
        || { echo "submit.sh localize: give the keypoints after SHARDS: --vocabulary FILE or --keypoint TEXT" >&2; exit 2; }
    [[ -d $root ]] || { echo "submit.sh localize: $root is not a folder of photos" >&2; exit 2; }
fi

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
export KEYPOINTS=${KEYPOINTS:-$checkout/.build/release/keypoints}
[[ -x $KEYPOINTS || $KEYPOINTS != */* ]] || { echo "submit.sh: $KEYPOINTS not found: run swift build -c release first" >&2; exit 1; }
model=${MODEL:-ViT-L/14-336}
cpus=${CPUS:-8}
root=$(cd "$root" 2>/dev/null && pwd || echo "$root")
mkdir -p "$outdir/logs"
outdir=$(cd "$outdir" && pwd)
export SHARDS=$shards

dependency=()
if [[ ! -d $model ]]; then
    fetch=$(sbatch --parsable --chdir="$outdir/logs" "$here/fetch.sbatch" "$model")
    echo "fetch job $fetch ($model)"
    dependency=(--dependency="afterok:$fetch")
fi
array_options=(--parsable --chdir="$outdir/logs" "${dependency[@]}" --array="0-$((shards - 1))" --cpus-per-task="$cpus")
if [[ $dataset == localize ]]; then
    array=$(sbatch "${array_options[@]}" "$here/localize-array.sbatch" "$root" "$outdir" --model "$model" "$@")
    echo "localize array $array: $shards tasks writing $outdir/photos-<shard>.jsonl"
    merge=$(sbatch --parsable --chdir="$outdir/logs" --dependency="afterok:$array" "$here/localize-merge.sbatch" "$outdir")
    echo "merge job $merge: writes $outdir/predictions.csv"
else
    array=$(sbatch "${array_options[@]}" "$here/eval-array.sbatch" "$dataset" "$root" "$outdir" --model "$model" "$@")
    echo "eval array $array: $shards tasks writing $outdir/results-<shard>.jsonl"
    merge=$(sbatch --parsable --chdir="$outdir/logs" --dependency="afterok:$array" "$here/merge.sbatch" "$outdir")
    echo "merge job $merge: writes $outdir/report.txt and $outdir/pck.png"
fi
echo "watch: squeue --me; logs in $outdir/logs"
