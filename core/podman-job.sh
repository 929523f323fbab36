#!/bin/bash
# Runs rootless Podman in a Slurm job with state of the job's own.
#
# Rootless Podman keeps a pause process per user and node that holds its user
# namespace, found through $XDG_RUNTIME_DIR, and records its directories in a
# database in its storage ($XDG_DATA_HOME). Slurm ends every process of a job with
# the job, that pause process included, and the user's next Podman job on the node
# would stop at the stale one ("invalid internal status"). A node-local, private
# directory per job gives each job its own pause process, runtime and writable
# layers (images come from the admin's shared read-only store).
#
# The job's processes hold a lock on DIR.lock (fd 9, inherited), taken before DIR
# exists, until the last of them is gone: a directory whose lock is free belongs to
# a job that has ended, and is removed here, inside the user namespace that owns its
# files.
set -eu
prefix=${TMPDIR:-/tmp}/funicular-podman-$(id -u)-
dir=$prefix${SLURM_JOB_ID:-$$}
exec 9>"$dir.lock"
flock -n 9 || { echo "podman-job.sh: $dir is in use by another process" >&2; exit 1; }
mkdir -p -m 700 "$dir" "$dir/run" "$dir/data"
XDG_RUNTIME_DIR=$dir/run XDG_DATA_HOME=$dir/data
export XDG_RUNTIME_DIR XDG_DATA_HOME

stale=""
for old in "$prefix"*; do
  [ "$old" != "$dir" ] && [ -d "$old" ] && [ ! -L "$old" ] || continue
  flock -n "$old.lock" true 2>/dev/null || continue
  stale="$stale $old $old.lock"
done
if [ -n "$stale" ]; then
  # files the container's root created belong to subordinate ids: only the user's
  # namespace may remove them. Podman with the run's own global options (storage
  # driver, stores), or it would set this job's storage up with other ones.
  podman=()
  for arg in "$@"; do [ "$arg" = run ] && break; podman+=("$arg"); done
  # shellcheck disable=SC2086
  "${podman[@]}" unshare rm -rf $stale 2>/dev/null || rm -rf $stale 2>/dev/null || true
fi
exec "$@"
