"""The box's JupyterHub config with KubeSpawner's profile_list in place of Funicular's
own profiles (test_profile_list.py): a default profile, one with options (a choice and
free text), one that opens VS Code first and one that overrides the server's command
(Spawner.cmd)."""

import pathlib

c = get_config()  # noqa: F821
box_config = pathlib.Path(__file__).resolve().parents[2] / "deploy/local/jupyterhub_config.py"
assert box_config.exists(), box_config  # load_subconfig passes over a missing file silently
load_subconfig(str(box_config))  # noqa: F821

del c.FunicularSpawner["profiles"]  # one or the other: both stop the hub
c.FunicularSpawner.server_job = {"partition": "mc", "cpus": 1, "memory_mb": 1024,
                                 "minutes": 60, "image": "notebook"}
c.FunicularSpawner.profile_list = [
    {"display_name": "Small", "description": "1 CPU, 1 GB, 1 hour", "default": True},
    {"display_name": "Multicore, your choice", "slug": "mc",
     "kubespawner_override": {"server_job": {"cpus": 2, "memory_mb": 2048}},
     "profile_options": {
         "image": {"display_name": "Image", "choices": {
             "dir": {"display_name": "Charliecloud directory", "default": True},
             "podman": {"display_name": "Podman",
                        "funicular_override": {"server_job": {"image": "notebook-podman"}}}}},
         "minutes": {"display_name": "Walltime (minutes)",
                     "choices": {"30": {"funicular_override": {"server_job": {"minutes": 30}}}},
                     "unlisted_choice": {"enabled": True, "validation_regex": "[0-9]{2,3}",
                                         "funicular_override": {
                                             "server_job": {"minutes": "{value}"}}}}}},
    {"display_name": "GPU node", "slug": "gpu",
     "kubespawner_override": {"server_job": {"partition": "gpu", "gpus": 1, "cpus": 2}}},
    # an app of the job opens first instead of JupyterLab (docs/apps.md)
    {"display_name": "VS Code", "slug": "vscode",
     "funicular_override": {"default_url": "/vscode/"}},
    # an admin's own command: the image's Python runs JupyterHub's server module
    {"display_name": "Own command", "slug": "own-cmd",
     "funicular_override": {"cmd": ["/opt/jupyter/bin/python3", "-m", "jupyterhub.singleuser"]}},
]
