"""The batch script passes Slurm's signals on to the server without killing the engine
in between (ch-run on SquashFS stays the parent, as the image's FUSE server)."""

import importlib.resources
import os
import signal
import subprocess
import sys

import pytest

LAUNCH = str(importlib.resources.files("funicular.core") / "launch.sh")

# a "server" that handles the walltime warning and shuts down slowly on SIGTERM. It
# writes with os.write, not print: the test signals as soon as it reads "up", and a
# handler that runs before that print has let go of sys.stdout's buffer and prints
# itself is a reentrant call, a RuntimeError (Python 3.13: a run in four or so)
SERVER = """
import os, signal, sys, time
def say(line):
    os.write(1, (line + "\\n").encode())
def stop(*a):
    time.sleep(0.5)
    say("server: clean exit")
    sys.exit(0)
signal.signal(signal.SIGUSR1, lambda *a: say("server: warned"))
signal.signal(signal.SIGTERM, stop)
say("server: up")
time.sleep(float(sys.argv[1]))
sys.exit(7)
"""
# an "engine" that stays the parent of the server, with the dispositions it was
# started with (like ch-run with a SquashFS image)
ENGINE = """
import subprocess, sys
code = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]]).wait()
print("engine: done", flush=True)
sys.exit(code)
"""


# an engine that passes USR1 on to the server, as podman run does
FORWARDER = """
import signal, subprocess, sys
server = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]],
                          start_new_session=True)  # like a container: not in our group
signal.signal(signal.SIGUSR1, lambda *a: server.send_signal(signal.SIGUSR1))
code = server.wait()
print("engine: done", flush=True)
sys.exit(code)
"""


def start(server_seconds: float, engine: str | None = ENGINE) -> subprocess.Popen:
    command = [sys.executable, "-c", SERVER, str(server_seconds)]
    if engine:
        command = [sys.executable, "-c", engine, SERVER, str(server_seconds)]
    p = subprocess.Popen(["bash", LAUNCH, *command],
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert p.stdout.readline().strip() == "server: up"
    return p


@pytest.mark.parametrize("engine,engine_done", [
    (ENGINE, ["engine: done"]),  # ch-run on SquashFS: survives, the group gets it
    (FORWARDER, ["engine: done"]),  # podman run: passes it on, exactly once
    (None, []),  # ch-run on a directory: the server is the engine's process
])
def test_warning_reaches_the_server_once_and_the_engine_survives(engine, engine_done):
    p = start(1.5, engine)
    os.kill(p.pid, signal.SIGUSR1)  # sbatch --signal=B:USR1: the batch script alone
    out, _ = p.communicate(timeout=10)
    assert out.split("\n") == ["server: warned", *engine_done, ""]
    assert p.returncode == 7  # the server's exit status is the job's


def test_on_sigterm_the_script_waits_for_the_server():
    p = start(30, engine=None)
    os.killpg(p.pid, signal.SIGTERM)  # scancel: every process of the job
    out, _ = p.communicate(timeout=10)
    # the script outlived the server's half-second shutdown and passed on its status
    assert out.split("\n") == ["server: clean exit", ""] and p.returncode == 0


def test_exit_status_passes_through():
    assert subprocess.run(["bash", LAUNCH, "sh", "-c", "exit 3"]).returncode == 3
