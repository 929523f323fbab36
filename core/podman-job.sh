#!/bin/sh
# Runs rootless Podman in a Slurm job with state of the job's own.
#
# Rootless Podman keeps a pause process per user and node that holds its user
# namespace, found through $XDG_RUNTIME_DIR, and records its directories in a
# database in its storage ($XDG_DATA_HOME). Slurm ends every process of a job with
# the job, that pause process included, and the user's next Podman job on the node
# would stop at the stale one ("invalid internal status"). A node-local, private
# directory per job gives each job its own pause process, runtime and writable
# layers (images come from the admin's shared read-only store), gone with the job.
set -eu
dir="${TMPDIR:-/tmp}/funicular-podman-$(id -u)-${SLURM_JOB_ID:-$$}"
mkdir -p -m 700 "$dir" "$dir/run" "$dir/data"
XDG_RUNTIME_DIR=$dir/run XDG_DATA_HOME=$dir/data
export XDG_RUNTIME_DIR XDG_DATA_HOME
exec "$@"
