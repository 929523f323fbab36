#!/bin/bash
# Funicular's batch script. It is the same file for every job: the container
# command arrives as its arguments (argv built by funicular.core), so no user value
# is ever written into a script.
#
# It stays the parent of the engine to pass on Slurm's walltime warning
# (sbatch --signal=B:USR1@N), which is sent to this script alone. Engines differ:
# ch-run on a directory image execs the server, podman run passes signals into the
# container, but ch-run on a SquashFS image stays behind as the image's FUSE server,
# and USR1 (default action: terminate) would kill it under the running server. So the
# engine starts with USR1 ignored. If the engine catches USR1 (the server itself, or
# an engine that passes signals on), it gets the warning; if it still ignores it, the
# warning goes to this script's process group, where the server is and handles it
# (kernels and terminals run in sessions of their own and never see it).
#
# scancel's SIGTERM reaches every process of the job from Slurm itself; this script
# then waits for the server to finish: the moment the batch script exits, Slurm kills
# what is left of the job, which would cut the server's own shutdown short. (ch-run
# 0.31 on a SquashFS image is the exception: its FUSE parent unmounts and exits on
# SIGTERM whatever it inherited, and the server goes with the job.)
trap '' USR1
"$@" &
child=$!
# (shellcheck 0.9 takes functions that only a trap calls for unreachable code)
# shellcheck disable=SC2317
catches_usr1() {  # bit 10 (USR1) of the caught-signals mask in /proc/PID/status
  local key value mask=""
  while read -r key value; do [ "$key" = SigCgt: ] && mask=$value; done < "/proc/$1/status"
  [ -n "$mask" ] && (( (16#${mask: -4} >> 9) & 1 ))
} 2>/dev/null
# shellcheck disable=SC2317  # called by the USR1 trap
pass_on() {
  trap '' USR1
  if catches_usr1 "$child"; then kill -USR1 "$child"; else kill -USR1 0; fi 2>/dev/null
  trap pass_on USR1
}
trap pass_on USR1

# Engines may put the container in a cgroup of its own below the job's (rootless
# runc does, on cgroup v1); Slurm signals and kills only the job's own cgroup, so
# this script does it for what is below: no process outlives its job.
cgroup=$(sed -n 's/^[0-9]*:freezer://p' /proc/self/cgroup 2>/dev/null)
if [ -n "$cgroup" ]; then cgroup=/sys/fs/cgroup/freezer$cgroup
else cgroup=$(sed -n 's/^0:://p' /proc/self/cgroup 2>/dev/null); cgroup=/sys/fs/cgroup$cgroup; fi
case $cgroup in */job_"${SLURM_JOB_ID:-none}"/*) ;; *) cgroup="" ;; esac  # only a job's
below() { [ -n "$cgroup" ] && find "$cgroup" -mindepth 2 -name cgroup.procs -exec cat {} + 2>/dev/null; }
signal_below() { local pids; mapfile -t pids < <(below); [ "${#pids[@]}" -eq 0 ] || kill "-$1" "${pids[@]}" 2>/dev/null; }

trap 'kill -TERM "$child" 2>/dev/null; signal_below TERM' TERM
while :; do
  wait "$child"; status=$?
  kill -0 "$child" 2>/dev/null || break
done
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  [ -n "$(below)" ] || exit "$status"
  sleep 0.1
done
signal_below KILL
exit "$status"
