"""The baseline: the box's hub with batchspawner 1.3.0's SlurmSpawner instead of ours.

benchmarks/workshop_burst.py starts a hub with this file. Everything but the spawner
is deploy/local/jupyterhub_config.py. The job is the workshop's: partition `training`
on reservation `workshop`, account `workshop`, 1 CPU, 768 MB, 180 minutes, and
`jupyterhub-singleuser` in the same Charliecloud image, started by the same `ch-run`
command line FunicularSpawner builds (funicular.core.containers), without `srun` (ours
runs no job step either). batchspawner's own script template and its defaults do the
rest: `sudo -E -u USER sbatch`, one `squeue` per spawner every 0.5 s while it starts
and every poll interval afterwards, and `batchspawner-singleuser` reporting the port.

Two things a site has to add to batchspawner's defaults, as any site would:
- PATH: JupyterHub 6 hands the spawner none, and `sbatch --export=<its variables>`
  gives the job none, so the script's prologue sets one (../shared notes: targets.md);
- batchspawner inside the image: its `batchspawner-singleuser` must run in the
  container; the hub copies the package (pure Python; jupyterhub and requests are in
  the image already) into $FUNICULAR_BOX/bench/python, which the job binds at /mnt.
"""

import os
import pathlib
import shlex
import shutil

import batchspawner

from funicular.core.containers import get_runtime
from funicular.core.containers.base import DEFAULT_ENV_ALLOW, Bind, ContainerLaunch

c = get_config()  # noqa: F821
load_subconfig(  # noqa: F821
    str(pathlib.Path(__file__).resolve().parents[1] / "deploy/local/jupyterhub_config.py"))

box = pathlib.Path(os.environ.get("FUNICULAR_BOX", "/var/lib/funicular"))
python_dir = box / "bench/python"
shutil.copytree(pathlib.Path(batchspawner.__file__).parent, python_dir / "batchspawner",
                dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
for path in (box / "bench", *python_dir.rglob("*")):
    path.chmod(0o755 if path.is_dir() else 0o644)
python_dir.chmod(0o755)

# ch-run as FunicularSpawner runs it, with the variables batchspawner's job lives on
# (its token and URLs arrive through sbatch --export, not through a file)
argv = get_runtime("charliecloud").argv(ContainerLaunch(
    image=str(box / "images/notebook"),
    command=("python3", "-m", "batchspawner.singleuser"),  # = batchspawner-singleuser
    binds=(Bind(str(python_dir), "/mnt"),), env=(("PYTHONPATH", "/mnt"),),
    env_allow=(*DEFAULT_ENV_ALLOW, "HOME", "JUPYTERHUB_*", "JPY_API_TOKEN"),
))
split = argv.index("--")
container, singleuser = argv[:split + 1], argv[split + 1:]

c.JupyterHub.spawner_class = "batchspawner.SlurmSpawner"
c.SlurmSpawner.req_partition = "training"
c.SlurmSpawner.req_reservation = "workshop"
c.SlurmSpawner.req_options = "--account=workshop"
c.SlurmSpawner.req_nprocs = "1"
c.SlurmSpawner.req_memory = "768M"
c.SlurmSpawner.req_runtime = "180"
c.SlurmSpawner.req_prologue = "export PATH=/usr/local/bin:/usr/bin:/bin"
c.SlurmSpawner.req_srun = shlex.join(container)  # "a prefix for the singleuser command"
c.SlurmSpawner.batchspawner_singleuser_cmd = shlex.join(singleuser)
c.SlurmSpawner.start_timeout = 300
c.SlurmSpawner.http_timeout = 60
