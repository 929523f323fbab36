"""Facts about where this server runs: node, Slurm job, GPUs, container."""

import os
import pwd
import socket

from . import walltime

_CONTAINER_MARKERS = ("/ch/environment", "/run/.containerenv", "/.singularity.d")


def _user_name() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # an image without the site's passwd entries
        return os.environ.get("USER", str(os.getuid()))


def runtime_info() -> dict:
    env = os.environ
    try:
        mnt_ns = os.readlink("/proc/self/ns/mnt")
    except OSError:
        mnt_ns = None
    return {
        "hostname": socket.gethostname(),
        "user": _user_name(),
        "uid": os.getuid(),
        "slurm_job_id": env.get("SLURM_JOB_ID"),
        "slurm_node": env.get("SLURMD_NODENAME"),
        "slurm_partition": env.get("SLURM_JOB_PARTITION"),
        "cuda_visible_devices": env.get("CUDA_VISIBLE_DEVICES"),
        "in_container": any(os.path.exists(p) for p in _CONTAINER_MARKERS),
        "mount_namespace": mnt_ns,
        "job_end_time": walltime.end_time(),
        "remaining_seconds": walltime.remaining(),
        "walltime_warning_at": walltime.warned_at(),
    }
