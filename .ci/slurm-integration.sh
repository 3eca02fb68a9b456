#!/usr/bin/env bash
# Integration test of examples/slurm on a real Slurm: a one-node cluster on localhost.
#
# Installs Debian's slurm-wlm (which brings munge) when missing, starts munged, slurmctld and
# slurmd with a configuration written here (in a temporary folder, on private ports and a
# private munge socket), submits examples/slurm/eval-array.sbatch as a 3-task array over a
# CUB sample (the committed fixture images, each listed 10 times under new ids: 30 images) with
# the committed tiny random CLIP, cancels one task with scancel after its first image and
# requeues it, waits with sbatch --wait (bounded by a timeout), merges with merge.sbatch
# (keypoints report) and checks that the merged PCK table equals an unsharded run's and that
# every image is recorded exactly once. Then a 2-task examples/slurm/localize-array.sbatch over a
# folder of 3 photos, merged by localize-merge.sbatch (afterok) into predictions.csv, which must
# equal an unsharded `keypoints localize --csv` of the folder (but for the seconds column). Last,
# examples/slurm/submit.sh's two chains (fetch skipped for a model folder, array, merge with
# --dependency=afterok): eval with the random method, and localize over the same photos.
#
# Every daemon it started is stopped by PID and the folder removed, on pass or fail. Where Slurm
# cannot be installed or started (not root, no apt, daemons fail) it prints why and skips.
# The last line is the verdict: "slurm: 1 passed, 0 failed" (exit 0), "slurm: 0 passed,
# 1 failed" (exit 1) or "slurm: 0 passed, 0 failed, 1 skipped (reason)" (exit 0).
#
# Usage: .ci/slurm-integration.sh   (from anywhere; builds keypoints if needed)
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started=$(date +%s)
timeout_seconds=${KEYPOINTS_SLURM_TEST_TIMEOUT:-240}

say() { echo "slurm-test: $*" >&2; }
skip() {
    echo "slurm-test: skipped: $1" >&2
    echo "slurm: 0 passed, 0 failed, 1 skipped ($1)"
    exit 0
}

work=""
pids=()
cleanup() {
    local status=$?
    if [[ -n $work && -f $work/slurm.conf && ${#pids[@]} -gt 1 ]]; then
        # Jobs first (slurmstepd ends their processes), then the daemons we started.
        export SLURM_CONF=$work/slurm.conf
        scancel --full --user="$(id -un)" >/dev/null 2>&1 || true
        for _ in $(seq 50); do [[ -z $(squeue -h 2>/dev/null) ]] && break; sleep 0.2; done
    fi
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || continue 2; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [[ -n $work && -z ${KEYPOINTS_SLURM_TEST_KEEP:-} ]]; then rm -rf "$work"; elif [[ -n $work ]]; then echo "slurm-test: kept $work" >&2; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Slurm available? ---------------------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || skip "needs root to run slurmd and munged"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || skip "slurm-wlm is not installed and there is no apt-get"
    say "installing slurm-wlm (brings munge)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends slurm-wlm >/dev/null; } \
        || skip "apt-get install slurm-wlm failed"
fi

# --- keypoints ----------------------------------------------------------------------------------
swift build --product keypoints >/dev/null || { echo "slurm: 0 passed, 1 failed"; say "swift build failed"; exit 1; }
keypoints="$(swift build --show-bin-path)/keypoints"
[[ -x $keypoints ]] || { say "$keypoints missing"; echo "slurm: 0 passed, 1 failed"; exit 1; }
export KEYPOINTS=$keypoints

work=$(mktemp -d /tmp/kp-slurm.XXXXXX)
chmod 755 "$work"
mkdir -p "$work"/{state,spool,logs,results,munge}

fail() {
    say "FAILED: $*"
    for f in "$work"/logs/*.log "$work"/slurmctld.log "$work"/slurmd.log; do
        [[ -s $f ]] && { echo "----- $f (last lines)" >&2; tail -n 15 "$f" >&2; }
    done
    echo "slurm: 0 passed, 1 failed"
    exit 1
}

# --- data: the committed CUB sample, each image listed 10 times (30 images, 10 per task) ---------
# 10 per task, so that the task cancelled after its first image has 9 left (2-3 s on 2 busy cores
# at 0.25-0.35 s each): with 3 per task, a scancel held up 1 s found the task COMPLETED.
images_per_task=10
images=$((3 * images_per_task))
sample=$repo/Tests/EvaluationTests/Fixtures/cub/CUB_200_2011
data=$work/CUB_200_2011
mkdir -p "$data/parts"
cp -R "$sample/images" "$data/images"
cp "$sample/classes.txt" "$sample/parts/parts.txt" "$data/" && mv "$data/parts.txt" "$data/parts/parts.txt"
for copy in $(seq 0 $((images_per_task - 1))); do
    offset=$((copy * 100000))
    for f in images.txt image_class_labels.txt train_test_split.txt bounding_boxes.txt parts/part_locs.txt; do
        awk -v o="$offset" '{ $1 = $1 + o; print }' "$sample/$f" >> "$data/$f"
    done
done
model=$repo/Tests/CLIPTests/Fixtures/models/tiny-quickgelu
eval_options=(--split all --model "$model" --precision fp32)

# --- cluster -------------------------------------------------------------------------------------
host=$(hostname -s)
cpus=$(nproc)
memory=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
port=$((20000 + RANDOM % 20000))
cat > "$work/slurm.conf" <<CONF
# One-node test cluster written by .ci/slurm-integration.sh.
ClusterName=kptest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# cred_expire also delays a requeued job's restart (default 120 s).
AuthInfo=socket=$work/munge/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobRequeue=1
SchedulerParameters=sched_interval=1
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
# The daemons and jobs must not see an outer Slurm job's variables.
for v in $(env | awk -F= '/^SLURM_/ && $1 != "SLURM_CONF" { print $1 }'); do unset "$v"; done

mkdir -p /run/munge
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
chmod 700 "$work/munge"
munged --foreground --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
    --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/seed" --log-file="$work/munge/munged.log" \
    > "$work/munge/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -S $work/munge/munge.socket ]] && break; sleep 0.1; done
[[ -S $work/munge/munge.socket ]] || skip "munged did not start ($(tail -n 1 "$work/munge/munged.log" 2>/dev/null))"

slurmctld -D -i -f "$work/slurm.conf" > "$work/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$work/slurm.conf" > "$work/slurmd.out" 2>&1 &
pids+=($!)
ready=""
for _ in $(seq 100); do
    if sinfo -h -o %t 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then ready=1; break; fi
    sleep 0.2
done
[[ -n $ready ]] || skip "slurmctld/slurmd did not bring the node up: $(tail -n 2 "$work/slurmctld.log" "$work/slurmd.log" 2>/dev/null | tr '\n' ' ')"
say "cluster up: $(sinfo -h -o '%P %D nodes %C cpus(A/I/O/T) %t') (slurm $(sinfo -V | awk '{ print $2 }'))"

# --- reference: one unsharded run ----------------------------------------------------------------
"$keypoints" eval --dataset cub --root "$data" "${eval_options[@]}" --threads 1 --out "$work/all.jsonl" > "$work/all.txt" 2> "$work/all.err" \
    || fail "unsharded run: $(tail -n 3 "$work/all.err")"
"$keypoints" report "$work/all.jsonl" > "$work/reference.txt" || fail "report of the unsharded run"

# --- the array, with one task cancelled and requeued ---------------------------------------------
examples=$repo/examples/slurm
deadline=$((started + timeout_seconds))
remaining() { echo $((deadline - $(date +%s))); }
timeout "$(remaining)" sbatch --wait --parsable --chdir="$work/logs" --array=0-2 --cpus-per-task=1 --mem=500 \
    "$examples/eval-array.sbatch" cub "$data" "$work/results" "${eval_options[@]}" > "$work/array.id" 2> "$work/array.err" &
waiter=$!
until [[ -s $work/array.id ]]; do
    [[ $(remaining) -gt 0 ]] || break
    kill -0 "$waiter" 2>/dev/null || break # sbatch ended without printing a job id: say why at once
    sleep 0.1
done
job=$(head -n 1 "$work/array.id" 2>/dev/null | cut -d';' -f1)
[[ -n $job ]] || fail "sbatch gave no job id: $(cat "$work/array.err")"
say "array job $job submitted"

victim=1
victim_file=$work/results/results-$victim.jsonl
images_in() { local n; n=$(grep -c '"type":"image"' "$1" 2>/dev/null); echo "${n:-0}"; }
until [[ $(images_in "$victim_file") -ge 1 ]]; do
    [[ $(remaining) -gt 0 ]] || fail "task $victim wrote no image before the timeout"
    sleep 0.05
done
before=$(images_in "$victim_file")
scancel "${job}_$victim" || fail "scancel ${job}_$victim"
# Until the task has ended (a COMPLETED one never becomes CANCELLED), bounded by the deadline.
while true; do
    state=$(scontrol show job "${job}_$victim" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    [[ $state =~ ^(CANCELLED|COMPLETED|FAILED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)$ || $(remaining) -le 0 ]] \
        && break
    sleep 0.1
done
[[ $state == CANCELLED ]] || fail "task ${job}_$victim is $state after scancel, expected CANCELLED"
after_cancel=$(images_in "$victim_file")
say "cancelled task $victim with $after_cancel of $images_per_task images recorded (had $before when cancelled)"
[[ $after_cancel -lt $images_per_task ]] || fail "task $victim had finished before scancel; the test needs slower images"
scontrol requeue "${job}_$victim" || fail "scontrol requeue ${job}_$victim"
say "requeued task $victim"

wait "$waiter"
array_status=$?
# The array is complete when no task is pending or running (sbatch --wait may return when the
# cancelled task ended, before its requeued run).
until [[ -z $(squeue -h -j "$job" 2>/dev/null) ]]; do
    [[ $(remaining) -gt 0 ]] || fail "array $job still queued or running at the timeout: $(squeue -h -j "$job")"
    sleep 0.2
done
say "array finished (sbatch --wait exit $array_status)"
for t in 0 1 2; do
    state=$(scontrol show job "${job}_$t" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    [[ $state == COMPLETED ]] || fail "task ${job}_$t ended $state"
done
grep -q '"done_before":[1-9]' "$victim_file" || fail "the requeued task did not resume (no session with done_before > 0)"

# --- merge job, then compare ----------------------------------------------------------------------
# Not --dependency=afterok here: once a task was scancel'ed, Slurm marks the array's afterok as
# never satisfied, even after the requeued task completes (examples/slurm/README.md says so).
timeout "$(remaining)" sbatch --wait --parsable --chdir="$work/logs" --mem=200 \
    "$examples/merge.sbatch" "$work/results" > "$work/merge.id" 2> "$work/merge.err"
merge_status=$?
if [[ $merge_status -ne 0 ]]; then
    merge=$(cut -d';' -f1 "$work/merge.id" 2>/dev/null)
    fail "merge job ${merge:-?} (exit $merge_status): $(cat "$work/merge.err") $(scontrol show job "${merge:-0}" 2>&1 | grep -Eo '(JobState|Reason|Dependency)=[^ ]*' | tr '\n' ' ')"
fi
[[ -s $work/results/report.txt && -s $work/results/pck.png && -s $work/results/report.json ]] \
    || fail "merge job wrote no report.txt / report.json / pck.png"

# Identical summary: the PCK tables at alpha 0.1 (the merge job's) and 0.5 (where the random
# tiny model gets some right), without the title (it names the shards) and the cost line (times).
table() { grep -v -e '^files:' -e '^cost:' "$1" | tail -n +2; }
diff <(table "$work/reference.txt") <(table "$work/results/report.txt") > "$work/diff.txt" \
    || fail "merged PCK table differs from the unsharded run: $(cat "$work/diff.txt")"
"$keypoints" report "$work/all.jsonl" --alpha 0.5 > "$work/reference-0.5.txt" || fail "report --alpha 0.5 of the unsharded run"
"$keypoints" report "$work"/results/results-*.jsonl --alpha 0.5 > "$work/merged-0.5.txt" || fail "report --alpha 0.5 of the shards"
diff <(table "$work/reference-0.5.txt") <(table "$work/merged-0.5.txt") > "$work/diff.txt" \
    || fail "merged PCK@0.5 table differs from the unsharded run: $(cat "$work/diff.txt")"
grep -Eq '^overall: +[0-9.]+% +[1-9]' "$work/merged-0.5.txt" || fail "no correct keypoint at alpha 0.5: the comparison would be vacuous"
# Every image exactly once across the shard files, with the unsharded run's exact predicted
# locations (image records are canonical JSON, sorted keys). Timings differ, and so do scores in
# their last digits: a process batches the prompts' text embeddings by the images it saw first,
# and sgemm rounds differently for other batch sizes.
ids=$(cat "$work"/results/results-*.jsonl | grep '"type":"image"' | grep -o '"id":"[^"]*"' | sort)
total=$(wc -l <<< "$ids")
unique=$(uniq <<< "$ids" | wc -l)
[[ $total -eq $images && $unique -eq $images ]] || fail "expected $images distinct image records, found $total records of $unique images"
records() { cat "$@" | grep '"type":"image"' | sed -E -e 's/"seconds":[^,]*,//' -e 's/"score":[^,}]*//g' | sort; }
diff <(records "$work/all.jsonl") <(records "$work"/results/results-*.jsonl) > "$work/diff.txt" \
    || fail "the shards' image records differ from the unsharded run's: $(head -c 600 "$work/diff.txt")"

# --- localize: a 2-task array over a folder of photos, merged into predictions.csv --------------
localize_started=$(date +%s)
photos=$work/photos
mkdir -p "$photos"
cp "$repo"/Tests/CLIPTests/Fixtures/images/{bird.jpg,cow.jpg,face.png} "$photos/"
localize_settings=(--keypoint beak --keypoint "eye, left" --precision fp32)
localize_options=(--model "$model" "${localize_settings[@]}")
"$keypoints" localize "$photos" "${localize_options[@]}" --threads 1 --csv > "$work/localize-reference.csv" \
    2> "$work/localize-reference.err" || fail "unsharded localize --csv: $(tail -n 3 "$work/localize-reference.err")"
localize_array=$(sbatch --parsable --chdir="$work/logs" --array=0-1 --cpus-per-task=1 --mem=500 \
    "$examples/localize-array.sbatch" "$photos" "$work/localized" "${localize_options[@]}" 2> "$work/localize-array.err") \
    || fail "sbatch localize-array.sbatch: $(cat "$work/localize-array.err")"
localize_array=${localize_array%%;*}
say "localize array job $localize_array submitted"
timeout "$(remaining)" sbatch --wait --parsable --chdir="$work/logs" --mem=200 --dependency="afterok:$localize_array" \
    "$examples/localize-merge.sbatch" "$work/localized" > "$work/localize-merge.id" 2> "$work/localize-merge.err" \
    || fail "localize merge job (after array $localize_array): $(cat "$work/localize-merge.err") $(squeue -h -j "$localize_array" 2>&1)"
for t in 0 1; do
    state=$(scontrol show job "${localize_array}_$t" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    [[ $state == COMPLETED ]] || fail "localize task ${localize_array}_$t ended $state"
done
shard_files=("$work"/localized/photos-*.jsonl)
[[ ${#shard_files[@]} -eq 2 && ! -e $work/localized/predictions.csv.tmp ]] \
    || fail "expected photos-0.jsonl and photos-1.jsonl and no temporary CSV, found: $(ls "$work/localized")"
# Rows without the last column (seconds: wall-clock time). 3 photos x 2 keypoints, and a header.
without_seconds() { sed -E 's/,[^,]*$//' "$1"; }
[[ $(wc -l < "$work/localize-reference.csv") -eq 7 ]] || fail "unsharded localize --csv: expected 7 lines, got $(cat "$work/localize-reference.csv")"
diff <(without_seconds "$work/localize-reference.csv") <(without_seconds "$work/localized/predictions.csv") > "$work/diff.txt" \
    || fail "merged predictions.csv differs from the unsharded localize --csv: $(cat "$work/diff.txt")"
say "localize array: predictions.csv equals the unsharded localize --csv ($(($(date +%s) - localize_started))s)"

# --- submit.sh: the user's one command (array + merge with --dependency=afterok) ----------------
# The random method here: this part checks the job chain, not the model.
MODEL=$model CPUS=1 SBATCH_MEM_PER_NODE=200 "$examples/submit.sh" cub "$data" "$work/submitted" 3 --split all --method random \
    > "$work/submit.out" 2>&1 || fail "submit.sh: $(cat "$work/submit.out")"
# Waits for the merge job a submit.sh output (file $1) names; fails unless it ends COMPLETED.
completed_merge() {
    local merge
    merge=$(awk '/^merge job/ { sub(":", "", $3); print $3 }' "$1")
    [[ -n $merge ]] || fail "submit.sh printed no merge job: $(cat "$1")"
    until [[ $(scontrol show job "$merge" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2) =~ ^(COMPLETED|FAILED|CANCELLED|TIMEOUT)$ ]]; do
        [[ $(remaining) -gt 0 ]] || fail "submit.sh's merge job $merge not finished at the timeout: $(scontrol show job "$merge" | grep -o 'Reason=[^ ]*')"
        sleep 0.2
    done
    scontrol show job "$merge" | grep -q 'JobState=COMPLETED' || fail "submit.sh's merge job $merge: $(scontrol show job "$merge" | grep -o 'JobState=[^ ]*')"
}
completed_merge "$work/submit.out"
"$keypoints" eval --dataset cub --root "$data" --split all --method random > "$work/random.txt" 2>/dev/null || fail "unsharded random run"
diff <(table "$work/random.txt" | grep -v '^results:') <(table "$work/submitted/report.txt") > "$work/diff.txt" \
    || fail "submit.sh's merged report differs from an unsharded random run: $(cat "$work/diff.txt")"
[[ -s $work/submitted/pck.png ]] || fail "submit.sh's merge job wrote no pck.png"

# --- submit.sh localize: the same chain over the folder of photos, into predictions.csv ---------
submit_localize_started=$(date +%s)
MODEL=$model CPUS=1 SBATCH_MEM_PER_NODE=500 "$examples/submit.sh" localize "$photos" "$work/submitted-photos" 2 \
    "${localize_settings[@]}" > "$work/submit-localize.out" 2>&1 || fail "submit.sh localize: $(cat "$work/submit-localize.out")"
completed_merge "$work/submit-localize.out"
diff <(without_seconds "$work/localize-reference.csv") <(without_seconds "$work/submitted-photos/predictions.csv") > "$work/diff.txt" \
    || fail "submit.sh localize's predictions.csv differs from the unsharded localize --csv: $(cat "$work/diff.txt")"
say "submit.sh localize: predictions.csv equals the unsharded localize --csv ($(($(date +%s) - submit_localize_started))s)"

elapsed=$(($(date +%s) - started))
say "merged report equals the unsharded run; $images images once each; task $victim cancelled and requeued; localize array's predictions.csv equals an unsharded localize --csv; submit.sh chains (eval, localize) ok; ${elapsed}s"
echo "slurm: 1 passed, 0 failed"
