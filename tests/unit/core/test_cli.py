"""The ``funicular`` command as a user runs it: the installed console script (or
``python -m funicular.core.cli`` where the package has no scripts), in a subprocess.
Help for every command and option, the version, and failures as one line, never a
traceback."""

import argparse
import os
import pathlib
import subprocess
import sys
from importlib.metadata import version

import pytest

from funicular.core.cli import parser

SCRIPT = pathlib.Path(sys.executable).parent / "funicular"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "funicular.core.cli"]


def funicular(*argv: str, cwd=None, env=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in (env or os.environ).items() if not k.startswith(
        ("JUPYTERHUB_CONFIG", "FUNICULAR_STORE_", "ST_"))}
    return subprocess.run([*COMMAND, *argv], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=60)


def commands(p: argparse.ArgumentParser, path=()):
    """Every command path of the parser tree, e.g. ("transfer", "cp"), with its parser."""
    yield path, p
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


def test_help_lists_every_command():
    r = funicular("--help")
    assert r.returncode == 0, r.stderr
    for name in ("images", "transfer", "node-helpers"):
        assert f"\n    {name}" in r.stdout
    assert funicular().returncode == 2  # no command: usage, not a traceback


def test_version():
    r = funicular("--version")
    assert (r.returncode, r.stdout.strip()) == (0, f"funicular {version('funicular')}")


def test_every_command_and_option_has_help():
    paths = []
    for path, p in commands(parser()):
        paths.append(path)
        for action in p._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, f"funicular {' '.join(path)}: {action.dest} has no help"
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(c.help for c in action._choices_actions), path
    assert ("transfer", "share") in paths and ("images", "fingerprint") in paths
    for path in paths[1:]:
        r = funicular(*path, "--help")
        assert r.returncode == 0 and r.stdout.startswith("usage: funicular"), (path, r.stderr)


def test_outside_a_hub_directory(tmp_path):
    r = funicular("images", "list", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("funicular: error: no hub configuration 'jupyterhub_config.py'")


def test_wrong_requests_are_one_line(tmp_path):
    (tmp_path / "jupyterhub_config.py").write_text(
        f"c.FunicularSpawner.images = {{'nb': {str(tmp_path)!r}}}\n")
    broken = tmp_path / "broken.py"
    broken.write_text("c.FunicularSpawner.images = {\n")
    creds = tmp_path / "store.env"
    creds.write_text("FUNICULAR_STORE_SWIFT_KEY=x\n")
    creds.chmod(0o644)
    journal = ["--journal", str(tmp_path / "j")]
    for argv, rc, words in [
        (("images", "show", "nope"), 2, "no image 'nope' in the catalog"),
        (("images", "--config", str(broken), "list"), 2, "cannot be read: SyntaxError"),
        (("images", "fingerprint", "--write", str(tmp_path)), 2, "--write needs --partition"),
        (("transfer", *journal, "resume", "t-none"), 2, "no transfer 't-none'"),
        (("transfer", *journal, "cp", "/etc/hostname", "ftp://x/y"), 2, "scheme"),
        (("transfer", "--credentials", str(creds), "ls", "swift://c"), 1,
         "readable by others"),
        (("transfer", "--credentials", str(tmp_path / "none"), "list"), 1,
         "No such file or directory"),
        (("node-helpers", "/proc/no/such/dir"), 1, "/proc/no"),
    ]:
        r = funicular(*argv, cwd=tmp_path)
        assert r.returncode == rc and "Traceback" not in r.stderr, (argv, r.stderr)
        assert r.stderr.startswith("funicular: error: ") and words in r.stderr, (argv, r.stderr)


@pytest.mark.parametrize("argv", [("frobnicate",), ("images", "frob"),
                                  ("transfer", "--part-size", "0", "list")])
def test_a_wrong_command_line_is_usage(argv):
    r = funicular(*argv)
    assert r.returncode == 2 and "usage: funicular" in r.stderr and "Traceback" not in r.stderr


def test_the_transfer_module_runs_as_the_transfer_command(tmp_path):
    """``python -m funicular.core.storage.cli`` (the integration tests' way in)."""
    r = subprocess.run([sys.executable, "-m", "funicular.core.storage.cli", "--journal",
                        str(tmp_path), "cp", "/etc/hostname", "ftp://x/y"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "scheme" in r.stderr and "Traceback" not in r.stderr


def test_transfer_takes_paths_relative_to_the_working_directory(tmp_path):
    """`funicular transfer cp data.csv out/` as the docs write it, from a terminal."""
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    (work / "data.csv").write_text("a,b\n1,2\n")
    journal = str(tmp_path / "journal")
    r = funicular("transfer", "--journal", journal, "cp", "data.csv", "out/", cwd=work)
    assert r.returncode == 0, r.stderr
    assert (work / "out/data.csv").read_text() == "a,b\n1,2\n"
    r = funicular("transfer", "--journal", journal, "cp", "../work/data.csv", "copy.csv",
                  cwd=work)
    assert r.returncode == 0, r.stderr
    assert (work / "copy.csv").read_text() == "a,b\n1,2\n"
