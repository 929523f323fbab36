"""The same notebook image under each engine that runs here: Charliecloud from its
directory and from SquashFS, and rootless Podman from the shared store. Each server
must run as the user in a container on a node, have its volatile scratch, receive the
walltime warning Slurm sends the batch shell, and exit on scancel's SIGTERM."""

import pathlib

import pytest

from .harness import STATE_DIR, job_state, run, wait_for


def job_processes(job_id: str) -> list[int]:
    """Processes on this machine (every node of the box) still in the job's environment."""
    marker = f"SLURM_JOB_ID={job_id}\0".encode()
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            pass
    return found


ENGINES = {  # catalog image -> (engine, server name)
    "notebook": ("charliecloud", "chdir"),
    "notebook-sqfs": ("charliecloud", "chsqfs"),
    "notebook-podman": ("podman", "podman"),
}


@pytest.mark.parametrize("image", list(ENGINES))
def test_same_notebook_under_each_engine(hub, image):
    engine, name = ENGINES[image]
    r = hub.spawn("alice", name, {"profile": "mc-small", "image": image})
    assert r.status_code in (201, 202), r.text
    job_id = hub.wait_ready("alice", name)["state"]["job_id"]
    try:
        info = hub.server_get("alice", "funicular/api/info", name=name).json()
        assert info["container_engine"] == engine and info["in_container"] is True
        assert info["user"] == "alice" and info["uid"] == int(run("id", "-u", "alice").stdout)
        assert info["hostname"] in ("mc1", "mc2") and info["slurm_job_id"] == job_id
        # the volatile scratch: a RAM file system of the container's own, writable
        scratch = info["volatile_scratch"]
        assert scratch["path"] == "/tmp" and scratch["filesystem"] == "tmpfs", scratch
        assert scratch["writable"] is True and scratch["free_mb"] > 0

        # the walltime warning goes to the batch shell only (sbatch --signal=B:USR1):
        # the engine must pass it on to the server inside
        run("scancel", "--batch", "--signal=USR1", job_id)

        def warned():
            r = hub.server_get("alice", "funicular/api/info", name=name)
            return r.status_code == 200 and r.json()["walltime_warning_at"]
        wait_for(warned, 20, f"the walltime warning to reach the server under {image}",
                 interval=0.5)
    finally:
        r = hub.stop_server("alice", name)
    assert r.status_code in (202, 204), r.text
    wait_for(lambda: job_state(job_id) in ("CANCELLED", "COMPLETED"), 30, "the job to end")
    home = pathlib.Path(run("getent", "passwd", "alice").stdout.split(":")[5])
    text = (home / STATE_DIR / f"named-{name}" / f"slurm-{job_id}.log").read_text()
    assert f"JOB {job_id} ON mc" in text and "CANCELLED" in text
    if image != "notebook-sqfs":
        # the server itself got scancel's SIGTERM and exited (its own last words).
        # Not under ch-run 0.31 with SquashFS: its FUSE parent unmounts the image and
        # exits on SIGTERM, so the server ends with the job (docs/engines/charliecloud.md)
        assert "Slurm is ending this job (SIGTERM)" in text, text[-2000:]
    wait_for(lambda: not job_processes(job_id), 30, "every process of the job to be gone")


@pytest.mark.parametrize("image", list(ENGINES))
def test_a_site_user_with_a_dot_and_a_home_elsewhere(hub, image):
    """jane.doe (a dot in the name, her home in /srv/homes, from passwd) gets a server
    under each engine, in her own home: what she saves lands there on the host."""
    engine, name = ENGINES[image]
    user = "jane.doe"
    host_home = run("getent", "passwd", user).stdout.split(":")[5]
    assert host_home == f"/srv/homes/{user}"
    r = hub.spawn(user, name, {"profile": "mc-small", "image": image})
    assert r.status_code in (201, 202), r.text
    hub.wait_ready(user, name)
    try:
        info = hub.server_get(user, "funicular/api/info", name=name).json()
        assert info["user"] == user and info["container_engine"] == engine
        # Charliecloud mounts the home at /home/<user>; Podman at the host's path
        inside = f"/home/{user}" if engine == "charliecloud" else host_home
        assert info["home"] == inside and info["cwd"] == inside, info
        token = hub.user_token(user)
        saved = hub.as_user("PUT", user, f"api/contents/saved-{name}.txt", token, name=name,
                            json={"type": "file", "format": "text", "content": name})
        assert saved.status_code in (200, 201), saved.text
        assert pathlib.Path(host_home, f"saved-{name}.txt").read_text() == name
        assert pathlib.Path(host_home, STATE_DIR, f"named-{name}", "env").exists()
    finally:
        r = hub.stop_server(user, name)
        pathlib.Path(host_home, f"saved-{name}.txt").unlink(missing_ok=True)
    assert r.status_code in (202, 204), r.text
