"""``python -m funicular.core.userfiles prepare -``, run for real as a process of the
current user, as the spawner runs it (with ``become = "none"``) once per start.

The helper only touches paths inside the passwd home of the uid it runs as, so the
files go to a temporary directory made inside that home (and removed after). No
stand-ins.
"""

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile

import pytest


@pytest.fixture
def home():
    try:
        path = tempfile.mkdtemp(prefix="funicular-test-", dir=pwd.getpwuid(os.getuid()).pw_dir)
    except OSError as e:
        pytest.skip(f"cannot make a directory inside the passwd home: {e}")
    yield path
    shutil.rmtree(path)


def prepare(request: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "funicular.core.userfiles", "prepare", "-"],
                          input=json.dumps(request), capture_output=True, text=True,
                          timeout=60, cwd="/", env={"PATH": os.defpath})


def mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_are_private_and_their_parents_too(home):
    env, cert = f"{home}/srv/a/env", f"{home}/srv/a/ssl/cert.pem"
    os.makedirs(f"{home}/srv/a", mode=0o755)
    os.chmod(f"{home}/srv/a", 0o755)  # an existing parent is closed as well
    res = prepare({"files": [[env, "JUPYTERHUB_API_TOKEN=t0ken\nA=1\n"], [cert, "PEM"]],
                   "material": None})
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {"material": None, "material_error": None}
    with open(env) as f:
        assert f.read() == "JUPYTERHUB_API_TOKEN=t0ken\nA=1\n"
    assert (mode(env), mode(cert)) == (0o600, 0o600)
    assert (mode(f"{home}/srv/a"), mode(f"{home}/srv/a/ssl")) == (0o700, 0o700)
    assert not [n for n in os.listdir(f"{home}/srv/a") if n.startswith(".env-")]


def test_a_bad_env_file_is_refused_with_its_line_and_nothing_is_written(home):
    env, other = f"{home}/srv/env", f"{home}/srv/cert.pem"
    res = prepare({"files": [[other, "PEM"], [env, "A=1\nnot a variable\n"]]})
    assert res.returncode != 0
    assert f"{env}: line 2 is not KEY=VALUE" in res.stderr
    assert not os.path.exists(f"{home}/srv")  # not even the file that was fine


def test_course_material_is_synced_and_reported(home):
    source = f"{home}/course"
    os.makedirs(f"{source}/data")
    for rel, text in (("intro.ipynb", "{}"), ("data/x.csv", "1,2")):
        with open(f"{source}/{rel}", "w") as f:
            f.write(text)
    target = f"{home}/hpc101"
    res = prepare({"files": [[f"{home}/srv/env", "A=1\n"]], "material": [source, target]})
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["material_error"] is None
    assert sorted(report["material"]["copied"]) == ["data/x.csv", "intro.ipynb"]
    with open(f"{target}/data/x.csv") as f:
        assert f.read() == "1,2"
    assert mode(f"{target}/intro.ipynb") & 0o044 == 0o044  # course files, not secrets

    with open(f"{target}/intro.ipynb", "w") as f:
        f.write('{"mine": 1}')  # the participant's own edit is kept
    report = json.loads(prepare({"material": [source, target]}).stdout)["material"]
    assert report["kept"] == ["intro.ipynb"] and report["copied"] == []


def test_a_material_failure_is_reported_and_the_files_written_all_the_same(home):
    env = f"{home}/srv/env"
    res = prepare({"files": [[env, "A=1\n"]], "material": [f"{home}/nowhere", f"{home}/c"]})
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["material"] is None and "nowhere" in report["material_error"]
    assert os.path.exists(env)


@pytest.mark.parametrize(("where", "why"), [
    ("/tmp/funicular-outside/env", "refusing to touch"),
    ("{home}/link/env", "refusing to touch"),
    ("{home}/../../etc/x/env", "'..'"),
])
def test_a_path_outside_the_home_is_refused(home, where, why):
    outside = tempfile.mkdtemp(prefix="funicular-outside-")
    try:
        os.symlink(outside, f"{home}/link")  # inside by name, outside in fact
        path = where.format(home=home)
        res = prepare({"files": [[f"{home}/srv/env", "A=1\n"], [path, "B=2\n"]]})
        assert res.returncode != 0 and why in res.stderr
        assert os.listdir(outside) == [] and not os.path.exists(f"{home}/srv")
    finally:
        shutil.rmtree(outside)
