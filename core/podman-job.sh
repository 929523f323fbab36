#!/bin/bash
# Runs rootless Podman in a Slurm job with state of the job's own.
#   podman-job.sh PODMAN [GLOBAL-OPTION...] run ...
#
# Rootless Podman keeps a pause process per user and node that holds its user
# namespace, found through $XDG_RUNTIME_DIR, and records its directories in a
# database in its storage ($XDG_DATA_HOME). Slurm ends every process of a job with
# the job, that pause process included, and the user's next Podman job on the node
# would stop at the stale one ("invalid internal status"). A node-local, private
# directory per job gives each job its own pause process, runtime and writable
# layers (images come from the admin's shared read-only store).
#
# The job's directory is BASE/podman-JOBID, BASE being the user's private directory
# on the node (nodetmp.sh: owned by the user, 0700, checked; never a name another
# user could have made). The job's processes hold a lock on DIR.lock (fd 9,
# inherited), taken before DIR exists, until the last of them is gone: a directory
# whose lock is free belongs to a job that has ended, and is removed here, inside the
# user namespace that owns its files. Only names found in BASE are removed, each as
# one quoted argument.
set -eu
# Podman 5 warns on every run of a host with cgroup v1 (as the box's): not the job's
# output (the host's own setting; nothing of it reaches the container)
export PODMAN_IGNORE_CGROUPSV1_WARNING=1
# shellcheck source=core/nodetmp.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/nodetmp.sh"
private_base podman-job.sh
job=${SLURM_JOB_ID:-$$}
case $job in *[!0-9]*|"") echo "podman-job.sh: bad job id '$job'" >&2; exit 1;; esac
dir=$base/podman-$job
exec 9>"$dir.lock"
flock -n 9 || { echo "podman-job.sh: $dir is in use by another process" >&2; exit 1; }
for d in "$dir" "$dir/run" "$dir/data"; do  # the job's own, or left by a job of this id
  if [ -L "$d" ] || [ ! -d "$d" ]; then mkdir -m 700 -- "$d"; fi
done
XDG_RUNTIME_DIR=$dir/run XDG_DATA_HOME=$dir/data
export XDG_RUNTIME_DIR XDG_DATA_HOME

stale=()
if [ "$base_shared" = 1 ]; then
  while IFS= read -r -d '' old; do
    case ${old##*/} in podman-*[!0-9]*|podman-) continue;; esac
    if [ "$old" = "$dir" ] || [ -L "$old" ] || [ ! -d "$old" ]; then continue; fi
    flock -n "$old.lock" true 2>/dev/null || continue
    stale+=("$old" "$old.lock")
  done < <(find "$base" -mindepth 1 -maxdepth 1 -name 'podman-*' -type d -print0)
fi
if [ "${#stale[@]}" -gt 0 ]; then
  # files the container's root created belong to subordinate ids: only the user's
  # namespace may remove them. Podman with the run's own global options (storage
  # driver, stores), or it would set this job's storage up with other ones.
  podman=()
  for arg in "$@"; do [ "$arg" = run ] && break; podman+=("$arg"); done
  "${podman[@]}" unshare rm -rf -- "${stale[@]}" 2>/dev/null \
    || rm -rf -- "${stale[@]}" 2>/dev/null || true
fi
exec "$@"
