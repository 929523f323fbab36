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

# the advanced tab: one node, at most 12 h, at most 2 GPUs on the gpu partition
c.FunicularSpawner.advanced_partitions = ["normal", "gpu"]
c.FunicularSpawner.advanced_limits = {"*": {"max_nodes": 1, "max_minutes": 720},
                                      "gpu": {"max_gpus": 2}}
c.FunicularSpawner.max_queue_time = 1800  # give up on a job that queues half an hour
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 3

# why servers ended, when running ones end, and "Start again" on the home page
import funicular.spawner  # noqa: E402

c.JupyterHub.template_paths = [funicular.spawner.TEMPLATES]
c.JupyterHub.template_vars = {"funicular_last_ends": funicular.spawner.last_ends,
                              "funicular_running": funicular.spawner.running_servers,
                              "funicular_start_again": funicular.spawner.start_again}

# or, without Slurm commands on the hub host: slurmrestd with the cluster's JWT key
# c.FunicularSpawner.slurm_backend = "rest"
# c.FunicularSpawner.slurmrestd_url = "http://slurmrestd.int.example-hpc.org:6820"
# c.FunicularSpawner.slurmrestd_jwt_key = "/etc/jupyterhub/slurm-jwt.key"  # 0600

# idle servers are stopped after 2 h, which frees their nodes
import sys  # noqa: E402

c.JupyterHub.services = [{"name": "idle-culler", "command": [
    sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=7200", "--cull-every=300"]}]
c.JupyterHub.load_roles = [{"name": "idle-culler", "services": ["idle-culler"], "scopes": [
    "list:users", "read:users:activity", "read:servers", "delete:servers"]}]
