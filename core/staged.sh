#!/bin/bash
# A follow-on job that stages data: the job's command between a stage-in and a
# stage-out step, on the job's first node.
#   staged.sh CREDENTIALS N IN_ARGV(N) M OUT_ARGV(M) JOB_ARGV...
# Every part is an argv list built by funicular.core.jobs.build: nothing here is ever
# parsed by a shell. Stage-in failing means the job does not run. Stage-out runs
# after a failed job too (partial results are worth keeping). The exit status is the
# job's, or stage-out's when the job succeeded. CREDENTIALS (the user's store keys,
# 0600) is removed however the job ends.
set -u
creds=$1; shift
trap 'rm -f -- "$creds"' EXIT
trap 'exit 143' TERM   # scancel: still remove the credentials
n=$1; shift; stage_in=("${@:1:n}"); shift "$n"
m=$1; shift; stage_out=("${@:1:m}"); shift "$m"
if [ "$n" -gt 0 ] && ! "${stage_in[@]}"; then
  echo "funicular: stage-in failed; the job did not run" >&2
  exit 1
fi
"$@"
status=$?
if [ "$m" -gt 0 ]; then
  "${stage_out[@]}"
  out=$?
  [ "$status" -ne 0 ] || status=$out
fi
exit "$status"
