"""Facts about where this server runs: node, Slurm job, GPUs, container."""

import os
import pwd
import socket

from funicular.core.hubapi import CONTAINER_ENGINE, SCRATCH

from . import walltime

_CONTAINER_MARKERS = ("/ch/environment", "/run/.containerenv", "/.singularity.d")


def _user_name() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # an image without the site's passwd entries
        return os.environ.get("USER", str(os.getuid()))


def filesystem_of(path: str, mountinfo: str = "/proc/self/mountinfo") -> str | None:
    """The type of the file system ``path`` is on, from this process's own mount table
    (inside a container: the container's)."""
    best, fstype = "", None
    try:
        with open(mountinfo) as f:
            for line in f:
                fields = line.split()
                sep = fields.index("-")
                point = fields[4].replace("\\040", " ")
                inside = path == point or path.startswith(point.rstrip("/") + "/")
                if inside and len(point) >= len(best):
                    best, fstype = point, fields[sep + 1]
    except (OSError, ValueError, IndexError):
        return None
    return fstype


def scratch_info(path: str | None) -> dict | None:
    """The volatile scratch the spawner asked the engine for (``hubapi.SCRATCH``)."""
    if not path:
        return None
    try:
        st = os.statvfs(path)
        free_mb = st.f_bavail * st.f_frsize // (1 << 20)
    except OSError:
        free_mb = None
    return {"path": path, "filesystem": filesystem_of(path), "free_mb": free_mb,
            "writable": os.access(path, os.W_OK)}


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
        "home": env.get("HOME"),  # as the container sees it (core/jobs/launch.py)
        "cwd": os.getcwd(),  # where the server started: the home, inside
        "slurm_job_id": env.get("SLURM_JOB_ID"),
        "slurm_node": env.get("SLURMD_NODENAME"),
        "slurm_partition": env.get("SLURM_JOB_PARTITION"),
        "cuda_visible_devices": env.get("CUDA_VISIBLE_DEVICES"),
        "in_container": any(os.path.exists(p) for p in _CONTAINER_MARKERS),
        "container_engine": env.get(CONTAINER_ENGINE),
        "volatile_scratch": scratch_info(env.get(SCRATCH)),
        "mount_namespace": mnt_ns,
        "job_end_time": walltime.end_time(),
        "remaining_seconds": walltime.remaining(),
        "walltime_warning_at": walltime.warned_at(),
    }
