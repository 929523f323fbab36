"""No user of a node can hurt another through names in the node's shared places.

An attacker, from a Slurm job of their own on mc1, plants names the victim's jobs
could use or remove: directories under the old Podman prefix whose names split and
glob (the old podman-job.sh removed them unquoted, in the job's working directory,
which for a notebook is the home), the victim's per-user base made first and open to
all, with bait in it, and Charliecloud's default SquashFS mount point. Then the
victim's Podman and Charliecloud jobs run on mc1, from the project's own argv
builders and batch script: they succeed, the files in their working directory are
all there, the planted names are as the attacker left them, and the jobs' own
directories are private directories of the victim's.

The jobs' TMPDIR is a directory of the node's /tmp made for this test (world-writable
and sticky, as /tmp is), so that the planted names reach no other test's jobs.
"""

import os
import pathlib
import pwd
import secrets
import shutil
import stat

import pytest
from traitlets.config.loader import PyFileConfigLoader

from funicular.core import nodehelpers
from funicular.core.containers import ContainerLaunch, get_runtime

from .harness import BOX, REPO, cluster_running, run

pytestmark = pytest.mark.integration

NODE = "mc1"
NODE_TMP = BOX / "slurm/nodetmp" / NODE  # the node's /tmp, seen from the host
VICTIM = "alice"
LAUNCH_SH = REPO / "core/launch.sh"


def attacker() -> str:
    """A user of the box who is neither the victim nor an admin."""
    for name in ("mallory", "bob"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.fail("no attacker account (mallory or bob) in the box")


@pytest.fixture(scope="module")
def box(request):
    """The cluster in a box: used as it is when it is up, else started (conftest)."""
    if os.geteuid() != 0:
        pytest.fail("integration tests need root (they act as users)")
    if not cluster_running():
        request.getfixturevalue("cluster")


@pytest.fixture
def arena(box):
    """A world-writable, sticky directory in the node's /tmp (the jobs' TMPDIR), the
    node helpers of this checkout where every node sees them, and a working directory
    in the victim's home with files in it. Removed afterwards."""
    tag = secrets.token_hex(4)
    host_tmp = NODE_TMP / f"funicular-hostile-{tag}"
    host_tmp.mkdir(mode=0o1777)
    host_tmp.chmod(0o1777)
    helpers = BOX / f"test-helpers-{tag}"
    nodehelpers.install(helpers)
    helpers.chmod(0o755)
    victim = pwd.getpwnam(VICTIM)
    work = pathlib.Path(victim.pw_dir) / f"hostile-test-{tag}"
    work.mkdir(mode=0o700)
    files = {"thesis.tex": "chapter 1", "data.csv": "1,2,3", "x": "x", "1": "one"}
    for name, text in files.items():
        (work / name).write_text(text)
    for p in (work, *work.iterdir()):
        os.chown(p, victim.pw_uid, victim.pw_gid)
    ch_default = pathlib.Path(f"/var/tmp/{VICTIM}.ch")
    had_ch_default = ch_default.exists() or ch_default.is_symlink()
    try:
        yield {"node_tmp": f"/tmp/{host_tmp.name}", "host_tmp": host_tmp, "helpers": helpers,
               "work": work, "files": files, "uid": victim.pw_uid, "ch_default": ch_default,
               "had_ch_default": had_ch_default}
    finally:
        shutil.rmtree(host_tmp, ignore_errors=True)
        shutil.rmtree(helpers, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        if not had_ch_default and (ch_default.is_symlink() or ch_default.is_file()):
            ch_default.unlink()
        elif not had_ch_default and ch_default.is_dir():
            shutil.rmtree(ch_default, ignore_errors=True)


PLANT = r"""set -eu
cd "$PLANT_DIR"
for name in "funicular-podman-$VICTIM_UID-x *" "funicular-podman-$VICTIM_UID-1 *"; do
  mkdir -m 755 "$name"; echo "attacker's" > "$name/keep"
done
mkdir -m 777 "funicular-$VICTIM_UID"; chmod 777 "funicular-$VICTIM_UID"
mkdir -m 777 "funicular-$VICTIM_UID/podman-1" "funicular-$VICTIM_UID/ch-1-1"
echo "attacker's" > "funicular-$VICTIM_UID/podman-1/keep"
ln -s "$PLANT_DIR" "funicular-$VICTIM_UID/podman-2"
# Charliecloud's default SquashFS mount point, if the victim never used it here
[ -e "/var/tmp/$VICTIM.ch" ] || echo "attacker's" > "/var/tmp/$VICTIM.ch"
"""


def plant(arena) -> str:
    who = attacker()
    env = {**os.environ, "PLANT_DIR": arena["node_tmp"], "VICTIM_UID": str(arena["uid"]),
           "VICTIM": VICTIM}
    res = run("runuser", "-u", who, "--", "sbatch", "--wait", "-w", NODE, "-p", "mc", "-t", "2",
              "--mem=64", "-o", "/dev/null", "-J", "hostile-plant", "--chdir=/",
              "--wrap", PLANT, env=env, check=False, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return who


def planted_intact(arena, who: str):
    t, uid = arena["host_tmp"], arena["uid"]
    owner = pwd.getpwnam(who).pw_uid
    for name in (f"funicular-podman-{uid}-x *", f"funicular-podman-{uid}-1 *"):
        assert (t / name / "keep").read_text() == "attacker's\n"
        assert (t / name).stat().st_uid == owner
    base = t / f"funicular-{uid}"
    st = base.lstat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (owner, 0o777)
    assert sorted(p.name for p in base.iterdir()) == ["ch-1-1", "podman-1", "podman-2"]
    assert (base / "podman-1" / "keep").read_text() == "attacker's\n"
    assert (base / "podman-2").is_symlink()
    assert sorted(p.name for p in (base / "podman-1").iterdir()) == ["keep"]
    return base


def victims_dirs(arena) -> list[pathlib.Path]:
    """The victim's private directories in the jobs' TMPDIR (made by the helpers when
    the usual one was taken)."""
    return [p for p in arena["host_tmp"].iterdir()
            if p.name.startswith(f"funicular-{arena['uid']}.")]


def run_victim(arena, argv: list[str]) -> str:
    """The victim's job on the node: the project's batch script with the engine's argv,
    in the working directory (as a notebook runs in the home)."""
    work = arena["work"]
    env = {**os.environ, "TMPDIR": arena["node_tmp"]}
    res = run("runuser", "-u", VICTIM, "--", "sbatch", "--parsable", "--wait", "-w", NODE,
              "-p", "mc", "-t", "5", "--mem=1024", "-J", "hostile-victim",
              f"--chdir={work}", f"--output={work}/.job-%j.out", LAUNCH_SH, *argv,
              env=env, check=False, timeout=300)
    out = "".join(p.read_text() for p in work.glob(".job-*.out"))
    assert res.returncode == 0, res.stdout + res.stderr + out
    return res.stdout.strip().split(";")[0]


def assert_work_intact(arena):
    work = arena["work"]
    for name, text in arena["files"].items():
        assert (work / name).read_text() == text, f"{name} in the victim's directory"


def box_runtime(name: str, helpers: pathlib.Path):
    """The engine as the box's hub configures it, with this checkout's node helpers."""
    cfg = PyFileConfigLoader("jupyterhub_config.py", str(REPO / "deploy/local")) \
        .load_config().FunicularSpawner
    options = dict(cfg.container_runtime_options.get(name, {}))
    return get_runtime(name, **{**options, "helpers_dir": str(helpers)})


def test_podman_job_among_hostile_names(arena):
    who = plant(arena)
    runtime = box_runtime("podman", arena["helpers"])
    launch = ContainerLaunch(image="localhost/funicular/notebook:latest", command=("true",),
                             home=f"/home/{VICTIM}", user=VICTIM, mount_home=False)
    argv = runtime.argv(launch)
    assert argv[0] == f"{arena['helpers']}/podman-job.sh"
    job = run_victim(arena, argv)
    assert_work_intact(arena)
    planted_intact(arena, who)
    (mine,) = victims_dirs(arena)
    st = mine.lstat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (arena["uid"], 0o700)
    assert (mine / f"podman-{job}").is_dir()


@pytest.mark.parametrize("image", ["notebook.sqfs", "notebook"])
def test_charliecloud_job_among_hostile_names(arena, image):
    """ch-run 0.31 looks every image up in /var/tmp/$USER.ch first (a directory there
    named after the image would be run instead), and mounts SquashFS below it."""
    who = plant(arena)
    runtime = box_runtime("charliecloud", arena["helpers"])
    launch = ContainerLaunch(image=str(BOX / "images" / image),
                             command=("sh", "-c", "test -x /usr/bin/env"),
                             home=f"/home/{VICTIM}", user=VICTIM)
    argv = runtime.argv(launch)
    assert argv[:2] == [f"{arena['helpers']}/ch-run-job.sh", "ch-run"]
    job = run_victim(arena, argv)
    assert_work_intact(arena)
    planted_intact(arena, who)
    if not arena["had_ch_default"]:  # the default storage was taken, and not used
        assert arena["ch_default"].read_text() == "attacker's\n"
    (mine,) = victims_dirs(arena)
    st = mine.lstat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (arena["uid"], 0o700)
    assert list((mine / "ch-storage").iterdir()) == []
    mounts = [p for p in mine.iterdir() if p.name.startswith(f"ch-{job}-") and p.is_dir()]
    if image.endswith(".sqfs"):  # its own mount point, left empty, unmounted
        (mnt,) = mounts
        assert list(mnt.iterdir()) == []
    else:
        assert mounts == []
