"""JupyterHub config of the cluster in a box (deploy/local/up starts the hub with it).

Paths and ports come from FUNICULAR_* variables that `up` (or the test harness)
sets, so one file serves the demo hub and the hubs that tests start.
"""

import os
import pathlib
import sys

import funicular.spawner

c = get_config()  # noqa: F821

box = pathlib.Path(os.environ.get("FUNICULAR_BOX", "/var/lib/funicular"))
hub_dir = pathlib.Path(os.environ.get("FUNICULAR_HUB_DIR", box / "hub"))
hub_ip = os.environ.get("FUNICULAR_HUB_IP", "10.77.77.1")
port = int(os.environ.get("FUNICULAR_HUB_PORT", "8000"))
api_port = int(os.environ.get("FUNICULAR_HUB_API_PORT", "8081"))
proxy_api_port = int(os.environ.get("FUNICULAR_PROXY_API_PORT", "8001"))

# FUNICULAR_INTERNAL_SSL=1: JupyterHub's internal_ssl, mutual TLS between hub, proxy and
# the notebook servers on the compute nodes (certificates under the hub's directory)
internal_ssl = os.environ.get("FUNICULAR_INTERNAL_SSL") == "1"
scheme = "https" if internal_ssl else "http"
if internal_ssl:
    c.JupyterHub.internal_ssl = True
    c.JupyterHub.internal_certs_location = str(hub_dir / "internal-ssl")
    c.JupyterHub.trusted_alt_names = ["DNS:slurmctl", f"IP:{hub_ip}"]

# the Slurm release the box runs (deploy/local/lib/slurmrelease.sh): one that is not the
# host's own has its commands in a directory of their own, as /opt/slurm/bin at a site
slurm_release = dict(
    line.split("=", 1) for line in (box / "slurm/release.env").read_text().splitlines()
    if "=" in line) if (box / "slurm/release.env").exists() else {}
slurm_bin_dir = slurm_release.get("FUNICULAR_SLURM_BIN_DIR", "")
c.FunicularSpawner.slurm_bin_dir = slurm_bin_dir

c.JupyterHub.bind_url = f"http://127.0.0.1:{port}"
# the hub listens on the bridge: notebook jobs on the nodes report to it there
c.JupyterHub.hub_bind_url = f"{scheme}://{hub_ip}:{api_port}"
c.JupyterHub.hub_connect_url = f"{scheme}://slurmctl:{api_port}"
c.ConfigurableHTTPProxy.api_url = f"{scheme}://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [os.environ.get(
    "FUNICULAR_CHP", str(box / "chp/node_modules/.bin/configurable-http-proxy"))]
c.ConfigurableHTTPProxy.pid_file = str(hub_dir / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{hub_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(hub_dir / "cookie_secret")
# servers are Slurm jobs: they outlive a hub restart, and the hub re-attaches them
c.JupyterHub.cleanup_servers = False
c.JupyterHub.cleanup_proxy = False

# real Linux users, PAM passwords (the hub runs as root in the box)
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
users_tsv = box / "users.tsv"
c.Authenticator.allowed_users = {
    line.split("\t", 1)[0] for line in users_tsv.read_text().splitlines() if "\t" in line
} if users_tsv.exists() else set()
c.Authenticator.admin_users = set()

# the workshop: users ws001... (`up --users N`) take part, alice teaches; their
# servers share node ws1 on the "workshop" reservation (deploy/local/lib/slurm.sh)
participants = sorted(u for u in c.Authenticator.allowed_users if u.startswith("ws"))
c.JupyterHub.load_groups = {"workshop": {"users": participants},
                            "instructors": {"users": ["alice"]}}
# The course material is a folder here; FUNICULAR_WORKSHOP_MATERIAL may name an
# object-store prefix instead (tests: swift://CONTAINER/PREFIX/ in alice's account),
# which the hub fetches into material_cache_dir once for the room
c.FunicularSpawner.workshops = {"hpc101": {
    "group": "workshop", "instructors": "instructors", "display_name": "HPC 101 (workshop)",
    "reservation": "workshop", "account": "workshop", "partition": "training",
    "cpus": 1, "memory_mb": 768, "minutes": 180, "image": "notebook",
    "material": os.environ.get("FUNICULAR_WORKSHOP_MATERIAL", str(box / "courses/hpc101")),
    "material_owner": "alice",
    "material_dir": os.environ.get("FUNICULAR_WORKSHOP_MATERIAL_DIR", "hpc101")}}
c.FunicularSpawner.material_cache_dir = os.environ.get(
    "FUNICULAR_MATERIAL_CACHE", str(box / "courses/.fetched"))
c.FunicularSpawner.material_refresh = float(os.environ.get("FUNICULAR_MATERIAL_REFRESH", "60"))
c.JupyterHub.spawner_class = "funicular"
c.JupyterHub.template_paths = [funicular.spawner.TEMPLATES]
c.JupyterHub.template_vars = {"funicular_last_ends": funicular.spawner.last_ends,
                               "funicular_running": funicular.spawner.running_servers,
                               "funicular_start_again": funicular.spawner.start_again}
c.JupyterHub.allow_named_servers = True
c.FunicularSpawner.become = "sudo"
# FUNICULAR_SLURM_BACKEND=rest: submit, query and cancel through slurmrestd, as each
# user, with tokens the hub signs with the cluster's JWT key
c.FunicularSpawner.slurmrestd_url = "http://127.0.0.1:6820"
c.FunicularSpawner.slurmrestd_jwt_key = str(box / "slurm/state/jwt_hs256.key")
if os.environ.get("FUNICULAR_SLURM_BACKEND") == "rest":
    c.FunicularSpawner.slurm_backend = "rest"
# notebook servers submit follow-on jobs through slurmrestd, as the nodes reach it
c.FunicularSpawner.jobs_backend = os.environ.get("FUNICULAR_JOBS_BACKEND", "rest")
c.FunicularSpawner.jobs_slurmrestd_url = "http://slurmctl:6820"
if c.FunicularSpawner.jobs_backend == "cli":
    # sbatch in the notebook image (slurm-client) talks to slurmctld with the node's munge
    # and needs the site's users (SlurmUser); ch-run then leaves passwd alone
    # (a Slurm release that is not the host's: its slurm.conf without the host's PluginDir)
    conf = slurm_release.get("FUNICULAR_SLURM_IMAGE_CONF", "")
    c.FunicularSpawner.container_binds = [f"{conf}:/etc/slurm" if conf else "/etc/slurm",
                                          "/run/munge", "/etc/passwd", "/etc/group"]
# tests: a fake UNICORE server (tests/integration/unicore_fake.py); no real one here
c.FunicularSpawner.jobs_unicore_url = os.environ.get("FUNICULAR_UNICORE_URL", "")
# tests run their own hub next to the demo one: separate per-user files and job names
c.FunicularSpawner.state_dir = os.environ.get("FUNICULAR_STATE_DIR", ".funicular/servers")
c.FunicularSpawner.job_name_prefix = os.environ.get("FUNICULAR_JOB_PREFIX", "funicular")
# one notebook image in three forms (deploy/images/notebook/build): a Charliecloud
# directory, the same tree as SquashFS, and its OCI layout imported into a shared
# Podman store (deploy/images/podman-store); the Podman one picks its engine itself
c.FunicularSpawner.images = {
    "notebook": str(box / "images/notebook"),
    "notebook-sqfs": {"path": str(box / "images/notebook.sqfs"),
                      "description": "the notebook image as SquashFS (Charliecloud)"},
    "notebook-podman": {"path": "localhost/funicular/notebook:latest", "runtime": "podman",
                        "annotations_from": str(box / "images/notebook.oci"),
                        "description": "the notebook image under rootless Podman"},
}
# follow-on jobs may also run the MPI image (OpenMPI + mpi4py, deploy/images/mpi/build)
c.FunicularSpawner.job_images = {
    "mpi": {"path": str(box / "images/mpi"),
            "description": "OpenMPI 4 and mpi4py (Debian 12), for MPI hybrid mode"}}
# the box's object store (deploy/local/lib/objstore.sh): Swift and its s3api on the
# nodes' bridge, one account per user; the keys file is the hub's alone (0600)
c.FunicularSpawner.storage_swift_auth_url = "http://10.77.77.1:8090/auth/v1.0"
c.FunicularSpawner.storage_s3_endpoint = "http://10.77.77.1:8090"
c.FunicularSpawner.storage_keys_file = str(box / "objstore/accounts.tsv")
c.FunicularSpawner.node_helpers_dir = str(box / "libexec")  # deploy/local/up installs them
c.FunicularSpawner.container_runtime_options = {"podman": {
    "runtime": "runc",  # crun cannot run on this host's hybrid cgroups
    "image_stores": [str(box / "podman")],
    "mount_program": "/usr/bin/fuse-overlayfs", "storage_driver": "overlay",
}}
c.FunicularSpawner.profiles = [
    {"name": "mc-small", "display_name": "Multicore: 1 CPU, 1 GB, 1 hour",
     "partition": "mc", "cpus": 1, "memory_mb": 1024, "minutes": 60, "image": "notebook"},
    {"name": "mc-4cpu", "display_name": "Multicore: 4 CPUs, 4 GB, 4 hours",
     "partition": "mc", "cpus": 4, "memory_mb": 4096, "minutes": 240, "image": "notebook"},
    {"name": "mc-podman", "display_name": "Multicore under Podman: 1 CPU, 1 GB, 1 hour",
     "partition": "mc", "cpus": 1, "memory_mb": 1024, "minutes": 60,
     "image": "notebook-podman"},
    {"name": "gpu-1", "display_name": "1 GPU, 2 CPUs, 4 GB, 2 hours",
     "partition": "gpu", "cpus": 2, "memory_mb": 4096, "gpus": 1, "minutes": 120,
     "image": "notebook"},
]
if os.environ.get("FUNICULAR_TEST_PROFILES"):
    # tests: an image whose annotations say it was built for another CPU family
    c.FunicularSpawner.images["test-arm64"] = {
        "path": str(box / "images/test-arm64"), "description": "built for arm64 (test)"}
if os.environ.get("FUNICULAR_TEST_PROFILES"):  # tests: a job that hits its time limit fast
    c.FunicularSpawner.profiles.append(
        {"name": "two-minutes", "display_name": "1 CPU, 2 minutes", "partition": "mc",
         "cpus": 1, "memory_mb": 1024, "minutes": 2, "image": "notebook"})
# the advanced tab: one node per notebook, at most 8 hours; GPUs only on gpu
c.FunicularSpawner.advanced_limits = {"*": {"max_nodes": 1, "max_minutes": 480},
                                      "gpu": {"max_gpus": 2}}
c.FunicularSpawner.cluster_info_ttl = float(os.environ.get("FUNICULAR_CLUSTER_INFO_TTL", "60"))
c.JupyterHub.named_server_limit_per_user = int(
    os.environ.get("FUNICULAR_NAMED_SERVER_LIMIT", "3"))  # 0: no limit
c.FunicularSpawner.walltime_warning = int(os.environ.get("FUNICULAR_WALLTIME_WARNING", "300"))
c.FunicularSpawner.max_queue_time = float(os.environ.get("FUNICULAR_MAX_QUEUE_TIME", "0"))
c.FunicularSpawner.slurm_timeout = float(os.environ.get("FUNICULAR_SLURM_TIMEOUT", "30"))
# tests: a short sweep for this hub's jobs that no server knows (see docs/security.md)
c.FunicularSpawner.orphan_sweep_interval = float(
    os.environ.get("FUNICULAR_ORPHAN_SWEEP_INTERVAL", "300"))
c.FunicularSpawner.orphan_grace = float(os.environ.get("FUNICULAR_ORPHAN_GRACE", "120"))
c.Spawner.http_timeout = 60
# how often JupyterHub asks each spawner, and how often the one batched squeue runs;
# tests shorten both to exercise outages quickly
c.Spawner.poll_interval = int(os.environ.get("FUNICULAR_POLL_INTERVAL", "30"))
c.FunicularSpawner.status_interval = float(os.environ.get("FUNICULAR_STATUS_INTERVAL", "30"))
c.Spawner.start_timeout = 300
c.Spawner.default_url = "/lab"

# jupyterhub-idle-culler as a hub-managed service: idle servers are stopped, which
# cancels their Slurm jobs and frees the allocation (FUNICULAR_IDLE_TIMEOUT seconds;
# 0 turns it off)
idle_timeout = int(os.environ.get("FUNICULAR_IDLE_TIMEOUT", "3600"))
if idle_timeout:
    c.JupyterHub.services = [{
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                    f"--timeout={idle_timeout}",
                    f"--cull-every={max(5, min(600, idle_timeout // 4))}"],
    }]
    c.JupyterHub.load_roles = [{
        "name": "idle-culler", "services": ["idle-culler"],
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    }]

# the instructor page (funicular.workshop): alice's group may open it; the service acts
# on the workshop group's servers only
c.JupyterHub.services.append({
    "name": "workshop", "url": f"http://127.0.0.1:{port + 10}", "oauth_no_confirm": True,
    "command": [sys.executable, "-m", "funicular.workshop.service", "--group", "workshop",
                "--profile", "workshop-hpc101",
                # Slurm as the spawner reaches it (squeue, or slurmrestd with the key)
                "--slurm-backend",
                "rest" if os.environ.get("FUNICULAR_SLURM_BACKEND") == "rest" else "cli",
                "--slurm-timeout", os.environ.get("FUNICULAR_SLURM_TIMEOUT", "30"),
                "--squeue", f"{slurm_bin_dir}/squeue" if slurm_bin_dir else "squeue",
                "--slurmrestd-url", "http://127.0.0.1:6820",
                "--slurmrestd-jwt-key", str(box / "slurm/state/jwt_hs256.key")]})
c.JupyterHub.load_roles.extend([
    {"name": "workshop-instructor", "groups": ["instructors"],
     "scopes": ["access:services!service=workshop"]},
    {"name": "workshop-service", "services": ["workshop"],
     "scopes": ["list:users!group=workshop", "read:users!group=workshop",
                "read:users:activity!group=workshop", "read:servers!group=workshop",
                "admin:server_state!group=workshop", "servers!group=workshop"]},
])

# an admin-scoped service token for automation and tests (written to .state/hub.env)
token_file = hub_dir / "admin-token"
if token_file.exists():
    admin_token = token_file.read_text().strip()
    c.JupyterHub.services.append({"name": "funicular-admin", "api_token": admin_token})
    c.JupyterHub.load_roles.append({
        "name": "funicular-admin", "services": ["funicular-admin"],
        "scopes": ["admin:users", "admin:servers", "access:servers", "read:users",
                   "read:servers", "tokens", "list:users"],
    })
