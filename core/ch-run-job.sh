#!/bin/bash
# Runs ch-run with its storage directory and SquashFS mount point in places of the
# user's own on the node.
#   ch-run-job.sh CH-RUN [OPTION...] IMAGE -- COMMAND...
#
# ch-run 0.31 looks an image up in its storage directory first, path or not
# ($CH_IMAGE_STORAGE, by default /var/tmp/$USER.ch: IMAGE /a/b is STORAGE/img/%a%b
# there), and mounts a SquashFS image on /var/tmp/$USER.ch/mnt. /var/tmp is writable
# by every user of the node: another user who makes /var/tmp/$USER.ch first chooses
# the image the user's jobs run (with the user's home and credentials in it), or
# makes every one of them fail. Here ch-run gets --storage=BASE/ch-storage (empty,
# the user's own) unless the user set CH_IMAGE_STORAGE, and, for a SquashFS image
# (a file), --mount=BASE/ch-JOB-PID, a mount point of its own; BASE is the user's
# private directory on the node (nodetmp.sh). The job's processes hold a lock on the
# mount point's .lock (fd 9) while they run; empty mount points whose lock is free
# were left by ch-runs that have ended and are removed (rmdir: never a directory with
# anything in or on it).
set -eu
# shellcheck source=core/nodetmp.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/nodetmp.sh"
[ "$#" -ge 2 ] || { echo "usage: ch-run-job.sh CH-RUN [OPTION...] IMAGE -- COMMAND..." >&2; exit 2; }
engine=$1; shift
image=""
for arg in "$@"; do  # options are single words (--opt=value): IMAGE is the last word before --
  [ "$arg" = -- ] && break
  case $arg in -*) ;; *) image=$arg;; esac
done
private_base ch-run-job.sh
opts=()
if [ -z "${CH_IMAGE_STORAGE:-}" ]; then
  storage=$base/ch-storage
  if [ -L "$storage" ] || [ ! -d "$storage" ]; then mkdir -m 700 -- "$storage"; fi
  opts+=("--storage=$storage")
fi

if [ -n "$image" ] && [ -f "$image" ]; then  # SquashFS
  job=${SLURM_JOB_ID:-0}
  case $job in *[!0-9]*|"") echo "ch-run-job.sh: bad job id '$job'" >&2; exit 1;; esac
  mnt=$base/ch-$job-$$
  exec 9>"$mnt.lock"
  flock -n 9 || { echo "ch-run-job.sh: $mnt is in use by another process" >&2; exit 1; }
  if [ -L "$mnt" ] || [ ! -d "$mnt" ]; then mkdir -m 700 -- "$mnt"; fi
  opts+=("--mount=$mnt")
  if [ "$base_shared" = 1 ]; then
    while IFS= read -r -d '' old; do
      case ${old##*/} in ch-*[!0-9-]*|ch-) continue;; esac
      if [ "$old" = "$mnt" ] || [ -L "$old" ] || [ ! -d "$old" ]; then continue; fi
      flock -n "$old.lock" true 2>/dev/null || continue
      rmdir -- "$old" 2>/dev/null && rm -f -- "$old.lock"
    done < <(find "$base" -mindepth 1 -maxdepth 1 -name 'ch-*' -type d -print0)
  fi
fi
exec "$engine" "${opts[@]}" "$@"
