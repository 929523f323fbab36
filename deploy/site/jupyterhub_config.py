"""Example JupyterHub config for a real site (adapt names, paths and partitions).

The hub runs as an unprivileged service account on a node that the compute nodes can
reach; sudoers.example lets it run Slurm commands as the users.
"""

c = get_config()  # noqa: F821

c.JupyterHub.bind_url = "https://jupyter.example-hpc.org"
c.JupyterHub.hub_bind_url = "http://0.0.0.0:8081"
c.JupyterHub.hub_connect_url = "http://jupyter-hub.int.example-hpc.org:8081"
c.JupyterHub.cleanup_servers = False  # notebook jobs outlive hub restarts

c.JupyterHub.spawner_class = "funicular"
c.FunicularSpawner.become = "sudo"
c.FunicularSpawner.container_runtime = "charliecloud"
c.FunicularSpawner.images = {
    "jupyter-2026.11": "/apps/containers/jupyter/jupyter-2026.11.sqfs",
}
c.FunicularSpawner.profiles = [
    {"name": "mc-1h", "display_name": "Multicore, 4 cores, 1 hour", "partition": "normal",
     "cpus": 4, "memory_mb": 8000, "minutes": 60, "image": "jupyter-2026.11"},
    {"name": "gpu-4h", "display_name": "1 GPU, 4 hours", "partition": "gpu", "gpus": 1,
     "cpus": 12, "memory_mb": 64000, "minutes": 240, "image": "jupyter-2026.11"},
]
c.FunicularSpawner.state_dir = ".funicular/servers"  # on the shared home filesystem
c.Spawner.start_timeout = 900  # time in the queue included
