#!/usr/bin/env bash
# Wall and CPU time of `mlsysim optimize parallelism` (issue #15, microbatch): the calibrated
# search over tp × pp × microbatches × virtual stages × ZeRO × checkpointing on the Llama 3
# 405B plan (8,192 H100, batch 2048), against the split search alone (the plan's other
# choices: --… plan), and the search kept to the plan's split (--tp plan --pp plan). Runs
# alternate; each line is /usr/bin/time's wall, user and sys seconds and peak RSS.
# Usage: bench/optimize-parallelism.sh [RUNS]   (RUNS default 3; needs bin/mlsysim-full: make build)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
bin=bin/mlsysim-full
plan=testdata/plans/llama3-405b-8k.yaml
keep="--microbatches plan --virtual-stages plan --zero-stages plan --activation-checkpointing plan"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
  for what in full split kept; do
    case $what in
      full) args="" ;;
      split) args="$keep" ;;
      kept) args="--tp plan --pp plan" ;;
    esac
    # shellcheck disable=SC2086
    /usr/bin/time -f "$what: %e s wall, %U user, %S sys, %M KB" "$bin" optimize parallelism "$plan" $args -o json 2>&1 >/dev/null | grep -v '^warning'
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
