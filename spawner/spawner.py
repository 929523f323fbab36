"""FunicularSpawner: each user's notebook server as a containerised Slurm job."""

import asyncio
import datetime
import hashlib
import html
import importlib.resources
import json
import pwd
import re
import socket
import sys

import sqlalchemy
from jupyterhub import orm
from jupyterhub.spawner import Spawner
from jupyterhub.utils import make_ssl_context
from tornado import web
from traitlets import Any, Bool, Dict, Enum, Float, Integer, List, Unicode, default

from funicular.core import envfile, proc
from funicular.core.batchjob import BatchJob
from funicular.core.become import METHODS, as_user
from funicular.core.containers import Bind, ContainerLaunch, Scratch, get_runtime
from funicular.core.errors import IdentityError, SlurmError, SpecError
from funicular.core.identity import DEFAULT_MIN_UID, Policy
from funicular.core.images.catalog import CatalogImage, load_catalog
from funicular.core.images.compat import Problem, check
from funicular.core.images.fingerprint import Fingerprint, load_fingerprint
from funicular.core.slurm import JobStatusCache, SlurmCLI
from funicular.core.slurm.cluster import ClusterInfoCache, fetch_snapshot
from funicular.core.slurm.rest import JWTSigner, SlurmREST, TokenFile

from . import cancelling, form, listenercheck, options, orphans, reattach, submission
from .credentials import StorageConfigError, store_credentials
from .endreason import JobEnd, explain
from .jobsite import job_site, mint_token
from .materialsource import material_source
from .pending import pending_message
from .profiles import Profile, load_profiles
from .workshops import Workshop, load_workshops, workshop_of

LAUNCH_SCRIPT = str(importlib.resources.files("funicular.core") / "launch.sh")

# environment that the hub hands to the server: JupyterHub's own variables and the
# admin's Spawner.environment; nothing else of the hub's process environment
_ENV_PREFIXES = ("JUPYTERHUB_", "JPY_", "JUPYTER_")


# one status cache and one cluster-info cache per Slurm setup, shared by every
# spawner of the hub process
_status_caches: dict[tuple, JobStatusCache] = {}
_cluster_caches: dict[tuple, ClusterInfoCache] = {}
_fingerprints: dict[tuple, Fingerprint] = {}  # (partition, dir) -> Fingerprint, per process


def server_key(server_name: str) -> str:
    """A file-name-safe key for one of a user's servers."""
    if not server_name:
        return "default"
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", server_name):
        return f"named-{server_name}"
    return "named-" + hashlib.sha256(server_name.encode()).hexdigest()[:16]


class FunicularSpawner(Spawner):
    """Start jupyterhub-singleuser in a container, in a Slurm batch job, as the user."""

    profiles = List(
        Dict(),
        default_value=[{"name": "mc-1h", "display_name": "Multicore: 1 CPU, 1 hour",
                        "partition": "mc", "cpus": 1, "memory_mb": 1024, "minutes": 60,
                        "image": "notebook"}],
        help="""Spawn profiles users may choose from, first is the default. Each is a dict
        with name, display_name, partition, nodes, cpus, memory_mb, gpus, minutes, image
        (a key of `images`) and optionally account, reservation, qos. Every value is
        validated when the hub starts.""",
    ).tag(config=True)

    workshops = Dict(
        {}, help="""Workshops by name: {"hpc101": {"group": JupyterHub group of the
        participants, "reservation": Slurm reservation, "account", "partition", "cpus",
        "memory_mb", "gpus", "minutes", "image", "material": a folder the hub host can
        read, or an object-store prefix (swift://container/prefix/, s3://bucket/prefix/)
        read with the store credentials of "material_owner" (a hub user), copied into
        each participant's home at start, "material_dir": where in the home (default:
        the name), "instructors": the group that runs it}}. A participant gets the
        workshop's profile only (no advanced tab).""",
    ).tag(config=True)

    material_cache_dir = Unicode(
        "/var/cache/funicular/material",
        help="""Where the hub keeps its copy of each workshop's material that lives in
        object storage (one folder per workshop, readable by all: participants copy
        from it, so its parents must be open to them too). Fetched once for a room of
        participants, not once each.""",
    ).tag(config=True)

    material_refresh = Float(
        60.0,
        help="""Seconds a fetched copy of object-store material is used before the hub
        asks the store again (only changed objects are fetched). If the store cannot
        be reached, starts use the last copy.""",
    ).tag(config=True)

    images = Dict(
        {"notebook": "/var/lib/funicular/images/notebook"},
        help="""Image catalog: name -> image path (or reference) as the container engine on
        the compute nodes sees it, or name -> {"path": ..., "description": ...,
        "annotations": {...}, "runtime": ..., "annotations_from": ...}. Annotations
        are read from the image (Charliecloud /ch/labels, SquashFS, OCI layouts), or
        from annotations_from when the path is a store reference (e.g. the OCI layout
        it was imported from), and may be given or overridden here; the spawn form
        shows them and image_check uses them. "runtime" ties an image to one engine
        (e.g. "podman" for a reference in a Podman store): choosing it chooses the
        engine.""",
    ).tag(config=True)

    job_images = Dict(
        {}, help="""Images for follow-on jobs only (e.g. an MPI application image without
        Jupyter), in the format of `images`. Jobs submitted from a notebook may use
        these and every image of `images`; the spawn form offers `images` only.""",
    ).tag(config=True)

    image_check = Enum(
        ["refuse", "warn", "off"], "refuse",
        help="""What to do when an image's annotations say it cannot run on the chosen
        partition (CPU architecture or level, GPU, CUDA driver, glibc): 'refuse' before
        anything is queued, with the reason; 'warn' on the progress page; 'off'.""",
    ).tag(config=True)

    partition_fingerprints = Dict(
        {}, help="""Host fingerprints by partition (see `funicular images fingerprint`):
        {"gpu": {"arch": "x86_64", "levels": ["x86-64-v3"], "glibc": "2.36", ...}}.""",
    ).tag(config=True)

    fingerprint_dir = Unicode(
        "", help="""Directory of PARTITION.json fingerprints, written on a node of each
        partition by `funicular images fingerprint --write DIR --partition P`. Without
        either, the hub host's own fingerprint stands for every partition.""",
    ).tag(config=True)

    advanced_options = Bool(
        True, help="""Offer the advanced tab (and the same keys in the REST API's
        user_options): partition, account, nodes, cpus, memory_mb, gpus, minutes,
        reservation, image. Every value is checked against advanced_limits and against
        what Slurm reports before anything is submitted.""",
    ).tag(config=True)

    advanced_partitions = List(
        Unicode(), help="Partitions offered in the advanced tab; empty: every visible "
                        "partition that is up.",
    ).tag(config=True)

    advanced_limits = Dict(
        {"*": {"max_nodes": 1}},
        help="""Upper limits for advanced requests, by partition, over defaults in "*":
        e.g. {"*": {"max_nodes": 1, "max_minutes": 480}, "gpu": {"max_gpus": 1}}. Keys:
        max_nodes, max_cpus, max_memory_mb, max_gpus, max_minutes; a missing key means
        "what Slurm allows" (node sizes, partition MaxTime and MaxNodes).""",
    ).tag(config=True)

    cluster_info_ttl = Float(
        60, help="""Seconds the spawn form's view of the cluster (partitions, free
        nodes and GPUs, accounts, reservations) is reused before it is refreshed in the
        background. One refresh serves every user; a controller that does not answer
        gives the last view, marked stale.""",
    ).tag(config=True)

    container_runtime = Unicode(
        "charliecloud",
        help="""Container engine for notebook servers: charliecloud, podman, apptainer,
        singularity, sarus, shifter or enroot (pyxis). A profile may name its own
        ("runtime" key).""",
    ).tag(config=True)

    container_runtime_options = Dict(
        {}, help="""Options for each engine, by name: e.g. {"podman": {"runtime": "runc"},
        "shifter": {"gpu_module": "gpu"}, "enroot": {"mpi_plugin": "pmix"}, "apptainer":
        {"executable": "/opt/apptainer/bin/apptainer"}}.""",
    ).tag(config=True)

    container_runtime_path = Unicode(
        "", help="Path of the engine's executable on the compute nodes; empty: its usual name."
    ).tag(config=True)

    container_binds = List(
        Unicode(), [], help="""Host paths bound into every notebook container and every
        follow-on job's, "SOURCE" or "SOURCE:TARGET" (site file systems such as
        /scratch or /apps; for jobs_backend='cli', slurm.conf and the node's munge
        socket). Each must exist on the nodes (and, for Charliecloud, TARGET in the
        image).""",
    ).tag(config=True)

    node_helpers_dir = Unicode(
        "", help="""Directory of Funicular's node-side scripts (envfilter.sh for engines
        that pass the host environment through, podman-job.sh for rootless Podman) as
        the compute nodes see it. Empty: the hub's own installation, right only where
        the nodes see it at the same path. Install them with `funicular node-helpers
        DIR`, again after every upgrade.""",
    ).tag(config=True)

    become = Enum(
        METHODS, "sudo",
        help="""How the hub runs sbatch/scancel as the user: 'sudo' (an unprivileged hub
        with a sudoers rule), 'runuser' (a root hub), 'none' (submit as the hub's user).""",
    ).tag(config=True)

    slurm_backend = Enum(
        ["cli", "rest"], "cli",
        help="""How the hub talks to Slurm. 'cli': sbatch/squeue/scancel/scontrol/sacct
        (submit and cancel run as the user, see `become`). 'rest': slurmrestd with JWT
        (see slurmrestd_url, slurmrestd_jwt_key, slurmrestd_token_file); no Slurm
        commands are needed on the hub host (`become` still writes each server's
        private env file as the user).""",
    ).tag(config=True)

    slurmrestd_url = Unicode(
        "http://127.0.0.1:6820", help="Base URL of slurmrestd (slurm_backend='rest')."
    ).tag(config=True)

    slurmrestd_jwt_key = Unicode(
        "", help="""Path of slurmctld's HS256 JWT key (AuthAltParameters=jwt_key=...). The
        hub then signs a short-lived token for each user and acts as that user, so Slurm
        applies the user's own permissions. The key lets its holder act as any user:
        make it readable by the hub's account only.""",
    ).tag(config=True)

    slurmrestd_token_file = Unicode(
        "", help="""Instead of the key: a file (mode 0600) holding a token of a Slurm
        operator (`scontrol token username=slurm`), read at each use so it can be
        rotated; requests name the user in X-SLURM-USER-NAME.""",
    ).tag(config=True)

    slurmrestd_service_user = Unicode(
        "slurm", help="Slurm user that read-only cluster queries (jobs, partitions, nodes, "
                      "reservations, associations) act as with slurm_backend='rest'.",
    ).tag(config=True)

    jobs_backend = Enum(
        ["rest", "cli", "unicore"], "rest",
        help="""How notebook servers submit follow-on jobs (the jobs API of the server
        extension). 'rest': slurmrestd with a short-lived token of the user's own that
        the server fetches from the hub (needs slurmrestd_jwt_key; no Slurm commands or
        munge in the image). 'cli': sbatch/squeue/scancel inside the container (the
        image needs the Slurm client, and the node's munge socket and slurm.conf bound
        in). 'unicore': the site's UNICORE server (jobs_unicore_url) through pyunicore,
        with the same token (a UNICORE server set up for JWT delegation).""",
    ).tag(config=True)

    jobs_slurmrestd_url = Unicode(
        "", help="""slurmrestd's URL as the compute nodes reach it, for follow-on jobs;
        empty: slurmrestd_url.""",
    ).tag(config=True)

    jobs_unicore_url = Unicode(
        "", help="""UNICORE's REST base URL for jobs_backend='unicore', as the compute
        nodes reach it, e.g. https://unicore.example.org:8080/SITE/rest/core.""",
    ).tag(config=True)

    jobs_token_lifespan = Integer(
        900, min=60, help="""Seconds a slurmrestd token handed to a notebook server is
        valid; the server asks the hub for a new one when a third is left.""",
    ).tag(config=True)

    jobs_mpi_plugin = Unicode(
        "pmix", help="srun --mpi= plugin for follow-on jobs in an MPI mode.",
    ).tag(config=True)

    jobs_stage_image = Unicode(
        "notebook", help="""Image (a name in `images`) that stages a follow-on job's inputs
        in from object storage before it runs and its outputs out after it, on the
        compute node; it needs Funicular installed (the notebook image has it). Empty:
        jobs cannot stage data.""",
    ).tag(config=True)

    storage_swift_auth_url = Unicode(
        "", help="""Swift auth URL (v1.0, e.g. https://swift.example.org/auth/v1.0) as
        notebook servers and compute nodes reach it; empty: no Swift API.""",
    ).tag(config=True)

    storage_s3_endpoint = Unicode(
        "", help="""S3 endpoint URL as notebook servers and compute nodes reach it (also
        Swift's s3api); empty: no S3 API.""",
    ).tag(config=True)

    storage_s3_region = Unicode("us-east-1", help="S3 region name.").tag(config=True)

    storage_keys_file = Unicode(
        "", help="""File of object-store keys, one `USER<TAB>KEY` line per hub user, mode
        0600 (refused otherwise). The key is the Swift key and the S3 secret; the
        identity is `storage_identity`. Users without a line get no store.""",
    ).tag(config=True)

    storage_identity = Unicode(
        "{user}:{user}", help="""The store identity of a hub user: Swift's 'account:user'
        and the S3 access key ({user} is the hub user's name).""",
    ).tag(config=True)

    storage_credentials = Any(
        None, allow_none=True,
        help="""Instead of storage_keys_file: a function (spawner) -> dict of the user's
        credentials (swift_auth_url, swift_user, swift_key, s3_endpoint, s3_access_key,
        s3_secret_key, s3_region) or None, e.g. from the site's secret store. For a
        workshop's material in object storage it is called as (spawner, user=OWNER).""",
    ).tag(config=True)

    sbatch = Unicode("sbatch", help="sbatch command").tag(config=True)
    squeue = Unicode("squeue", help="squeue command").tag(config=True)
    scancel = Unicode("scancel", help="scancel command").tag(config=True)
    scontrol = Unicode("scontrol", help="scontrol command").tag(config=True)
    sacct = Unicode("sacct", help="sacct command").tag(config=True)
    sacctmgr = Unicode("sacctmgr", help="sacctmgr command (reads associations)"
                       ).tag(config=True)

    slurm_timeout = Float(30, help="Seconds a Slurm command may take before it counts as failed."
                          ).tag(config=True)

    min_uid = Integer(
        DEFAULT_MIN_UID, min=0,
        help="""Hub users whose uid is below this (system accounts: root, daemon, slurm...)
        are refused everywhere: no notebook job, no Slurm token, no command run as them.
        See also system_uid_ranges.""",
    ).tag(config=True)

    system_uid_ranges = List(
        List(Integer(), minlen=2, maxlen=2), [[60000, 65535]],
        help="""Inclusive uid ranges of system accounts above min_uid, refused like those
        below it: by default Debian's and Fedora's fixed uids of packages (slurm is
        64030 on Debian) and nobody (65534). Clear it ([]) at a site whose ordinary
        accounts have uids in that range.""",
    ).tag(config=True)

    allowed_group = Unicode(
        "", help="""If set, a Unix group every hub user must be in (primary or
        supplementary) to get a notebook job or act through the hub. Empty: any group.""",
    ).tag(config=True)

    orphan_sweep_interval = Float(
        300, help="""Seconds between sweeps for this hub's notebook jobs that no server
        knows (a hub that died right after sbatch, an sbatch that timed out after
        slurmctld took the job, a stop that could not cancel); they are cancelled as
        their owner. The first sweep runs when the hub is up. 0: only that one.""",
    ).tag(config=True)

    verify_listener = Bool(
        True, help="""Before routing to a server, ask the process on its reported port
        to prove that it holds the server's token (an HMAC of a fresh nonce, answered
        by the Funicular extension in the image): on a shared node another user's
        process could listen there. Turn off only for images without Funicular's
        extension.""",
    ).tag(config=True)

    orphan_grace = Float(
        120, help="""A job of this hub must be at least this old (seconds) before the
        sweep may cancel it: a spawn saves its job id moments after sbatch answers.""",
    ).tag(config=True)

    state_dir = Unicode(
        ".funicular/servers",
        help="Directory under the user's home for each server's private env file (0600) "
             "and job log. Must be on a filesystem the compute nodes share.",
    ).tag(config=True)

    job_name_prefix = Unicode("funicular", help="Slurm job names start with this.").tag(config=True)

    start_poll_interval = Float(
        2.0, help="""Seconds between Slurm status checks while any server starts (one
        squeue for all starting servers). Readiness does not wait for it: the job
        reports its address itself; the checks catch jobs that fail or wait in the
        queue, for the progress page. Lower values show queue reasons sooner and cost
        slurmctld more RPCs per spawn.""",
    ).tag(config=True)

    status_interval = Float(
        30, help="""Seconds between status queries for running servers. One squeue call
        covers all servers of the hub (with +-20% jitter), so the load on slurmctld does
        not grow with the number of users.""",
    ).tag(config=True)

    report_timeout = Integer(
        3600, help="How long a started job keeps trying to reach an unreachable hub "
                   "before it ends itself and frees its allocation (seconds).",
    ).tag(config=True)

    walltime_warning = Integer(
        300, help="""Seconds before the job's time limit at which the server receives
        SIGUSR1 (Slurm --signal), logs a warning and tells the notebook, so users can
        save. 0: no warning.""",
    ).tag(config=True)

    max_queue_time = Float(
        0, help="""Cancel a notebook job that has waited in the queue longer than this
        (seconds) and tell the user why. 0: only JupyterHub's start_timeout applies.""",
    ).tag(config=True)

    volatile_scratch = Dict(
        {"target": "/tmp", "size_mb": 2048},
        help="""A writable, RAM-backed area inside every notebook container, gone when
        the job ends, for tools that write many small files (pip, conda, compilers,
        git) so they do not hammer the parallel filesystem: {"target": "/tmp",
        "size_mb": 2048}. Engines that mount a tmpfs themselves do (Podman --tmpfs,
        Charliecloud --private-tmp at /tmp, Apptainer --writable-tmpfs); for the
        others add "source", a node-local RAM-backed directory that exists on every
        node (e.g. Slurm job_container/tmpfs's). Its pages count against the job's
        memory. {}: none.""",
    ).tag(config=True)

    extra_sbatch_args = List(
        Unicode(), help="Extra sbatch options for every notebook job (admin only, "
                        "e.g. ['--exclusive']). Never built from user input.",
    ).tag(config=True)

    @default("start_timeout")
    def _start_timeout_default(self):
        return 300  # includes time in the queue

    @default("options_form")
    def _options_form_default(self):
        return FunicularSpawner._render_form  # called with the spawner: see get_options_form

    # ------------------------------------------------------------------ state
    job_id: str | None = None
    host: str | None = None
    port_reported: int | None = None
    adopt_job_id: str | None = None
    token_id: int | None = None  # the server token's row: JupyterHub forgets the token itself
    submit_nonce: str | None = None  # marks the job of an sbatch whose answer may be lost
    pending_cancel: list  # [{"job_id", "token_id"}] stops that could not cancel (cancelling.py)
    accepted_options: dict | None = None  # the last user_options a start accepted
    last_end: JobEnd | None = None  # why the previous server ended, shown until the next start
    end_time: str | None = None  # when Slurm will end the running server (ISO, local time)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pending_cancel = []
        self._starting = False
        self._start_failed = False
        self._address: asyncio.Future | None = None
        self._listening = asyncio.Event()  # the server says it accepts connections
        self._events: list[dict] = []
        self._events_changed = asyncio.Event()
        self._respawn_wanted = False
        self.slurm, backend_key = self._make_backend()
        key = (backend_key, self.status_interval, self.start_poll_interval)
        if key not in _status_caches:
            _status_caches[key] = JobStatusCache(self.slurm, interval=self.status_interval,
                                                 fast_interval=self.start_poll_interval)
        self.status = _status_caches[key]
        key = (backend_key, self.cluster_info_ttl)
        if key not in _cluster_caches:
            _cluster_caches[key] = ClusterInfoCache(lambda cli=self.slurm: fetch_snapshot(cli),
                                                    ttl=self.cluster_info_ttl)
        self.cluster = _cluster_caches[key]
        orphans.schedule_sweep(self)

    @property
    def identity(self) -> Policy:
        return Policy(self.min_uid, self.allowed_group,
                      tuple((lo, hi) for lo, hi in self.system_uid_ranges))

    def _make_backend(self):
        """The Slurm backend and a key under which spawners share caches for it."""
        if self.slurm_backend == "rest":
            if self.slurmrestd_jwt_key:
                tokens = JWTSigner(self.slurmrestd_jwt_key)
            elif self.slurmrestd_token_file:
                tokens = TokenFile(self.slurmrestd_token_file)
            else:
                raise ValueError("slurm_backend='rest' needs slurmrestd_jwt_key or "
                                 "slurmrestd_token_file")
            backend = SlurmREST(self.slurmrestd_url, tokens, timeout=self.slurm_timeout,
                                service_user=self.slurmrestd_service_user,
                                identity=self.identity)
            return backend, ("rest", self.slurmrestd_url, self.slurm_timeout, self.identity)
        backend = SlurmCLI(become=self.become, sbatch=self.sbatch, squeue=self.squeue,
                           scancel=self.scancel, scontrol=self.scontrol, sacct=self.sacct,
                           sacctmgr=self.sacctmgr, timeout=self.slurm_timeout,
                           identity=self.identity)
        return backend, ("cli", self.squeue, self.scontrol, self.sacctmgr, self.slurm_timeout,
                         self.identity)

    @property
    def profile_map(self) -> dict[str, Profile]:
        """The profiles this user may choose: a workshop participant gets its one."""
        if self.workshop is not None:
            return {self.workshop.profile.name: self.workshop.profile}
        if not hasattr(self, "_profile_map"):
            self._profile_map = load_profiles(self.profiles, self.images)
        return self._profile_map

    @property
    def workshop_map(self) -> dict[str, Workshop]:
        if not hasattr(self, "_workshop_map"):
            self._workshop_map = load_workshops(self.workshops, self.images)
        return self._workshop_map

    @property
    def workshop(self) -> Workshop | None:
        """The workshop this user takes part in, by JupyterHub group; None: none."""
        groups = [g.name for g in getattr(self.user, "groups", None) or []]
        return workshop_of(self.workshop_map, groups)

    @property
    def _advanced(self) -> bool:
        return self.advanced_options and self.workshop is None

    @property
    def catalog(self) -> dict[str, CatalogImage]:
        if not hasattr(self, "_catalog"):
            self._catalog = load_catalog(self.images)
        return self._catalog

    @property
    def job_catalog(self) -> dict[str, CatalogImage]:
        """What follow-on jobs may run: the notebook images and the job-only ones."""
        if not hasattr(self, "_job_catalog"):
            self._job_catalog = {**self.catalog, **load_catalog(self.job_images)}
        return self._job_catalog

    def _check_image(self, choice: options.Choice) -> list[Problem]:
        """Refuse (SpecError) or return warnings for an image that cannot run where the
        job would go, before anything is queued."""
        if self.image_check == "off":
            return []
        part = choice.resources.partition
        key = (part, self.fingerprint_dir)
        if key not in _fingerprints:
            _fingerprints[key] = load_fingerprint(part, self.partition_fingerprints,
                                                  self.fingerprint_dir or None)
        problems = check(self.catalog[choice.image].annotations, _fingerprints[key],
                         gpus=choice.resources.gpus > 0, where=f"partition {part}")
        fatal = [p for p in problems if p.fatal]
        if fatal and self.image_check == "refuse":
            raise SpecError("image", f"{choice.image} cannot run on partition {part}: "
                            + "; ".join(map(str, fatal)))
        return problems

    @property
    def limits(self) -> dict[str, options.Limits]:
        if not hasattr(self, "_limits"):
            self._limits = options.load_limits(self.advanced_limits)
        return self._limits

    def load_state(self, state):
        super().load_state(state)
        self.job_id = state.get("job_id")
        self.host = state.get("host")
        self.port_reported = state.get("port")
        self.adopt_job_id = state.get("adopt_job_id")
        self.token_id = state.get("token_id")
        self.submit_nonce = state.get("submit_nonce")
        self.pending_cancel = [e for e in state.get("pending_cancel") or []
                               if isinstance(e, dict) and e.get("job_id")]
        self.accepted_options = state.get("accepted_options")
        cancelling.schedule(self)
        self.last_end = JobEnd.from_state(state.get("last_end"))
        self.end_time = state.get("end_time")

    def get_state(self):
        state = super().get_state()
        for key, value in (("job_id", self.job_id), ("host", self.host),
                           ("port", self.port_reported), ("adopt_job_id", self.adopt_job_id),
                           ("token_id", self.token_id), ("end_time", self.end_time),
                           ("submit_nonce", self.submit_nonce),
                           ("pending_cancel", self.pending_cancel),
                           ("accepted_options", self.accepted_options)):
            if value:
                state[key] = value
        if self.last_end:
            state["last_end"] = self.last_end.to_state()
        return state

    def clear_state(self):
        super().clear_state()
        self.job_id = self.host = self.port_reported = self.token_id = self.end_time = None
        self.submit_nonce = None  # its job, if Slurm took it, is the orphan sweep's now
        # adopt_job_id survives: it is what a re-attaching spawn picks up; last_end too:
        # the user is told on the next visit why the server ended; pending_cancel: jobs
        # a stop could not cancel; accepted_options: what a refused start falls back to
        if self._respawn_wanted:
            self._respawn_wanted = False
            reattach.schedule_respawn(self.user, self.name)

    @property
    def _session(self):
        return sqlalchemy.inspect(self.orm_spawner).session

    def _save_state(self):
        """Persist the job id now, not when JupyterHub next saves: a hub that dies
        right after sbatch must still know the job when it comes back."""
        self.orm_spawner.state = self.get_state()
        self._session.commit()

    def _current_token_id(self) -> int | None:
        token = orm.APIToken.find(self._session, self.api_token) if self.api_token else None
        return token.id if token is not None else None

    def _token_created(self, token_id: int | None) -> str | None:
        token = self._session.get(orm.APIToken, token_id) if token_id is not None else None
        return token.created.isoformat() if token is not None and token.created else None

    def _revoke_token(self, token_id: int | None, created: str | None = None) -> None:
        """Delete a server token by id. After a hub restart JupyterHub no longer knows
        the token of a server it stops, so without this it would stay valid forever.
        ``created``: revoke only that very token (SQLite reuses the ids of deleted rows)."""
        if token_id is None:
            return
        token = self._session.get(orm.APIToken, token_id)
        if created is not None and (token is None or token.created is None
                                    or token.created.isoformat() != created):
            return
        if token is not None and token.user_id == self.user.id:
            self._session.delete(token)
            self._session.commit()
            self.log.info("%s: revoked server token %s", self._log_name, token_id)

    # ------------------------------------------------------------------ options
    @property
    def last_end_message(self) -> str:
        """Why the previous server ended, in words (empty if it was stopped from the hub)."""
        return explain(self.last_end, self._uid) if self.last_end else ""

    async def get_options_form(self):
        form = await super().get_options_form()
        if not self.last_end:
            return form
        tail = html.escape(self.last_end.log_tail or "(the job log is empty)")
        return (f'<div class="alert alert-warning funicular-last-end" role="alert">'
                f"<p>{html.escape(self.last_end_message)}</p>"
                f"<details><summary>End of the job log</summary><pre>{tail}</pre></details>"
                f"</div>{form}")

    async def _render_form(self) -> str:
        snapshot = await self.cluster.get()
        return form.render(user=self.user.name, profiles=self.profile_map, images=self.catalog,
                           snapshot=snapshot, stale_reason=self.cluster.stale_reason,
                           advanced=self._advanced, partitions=self.advanced_partitions,
                           limits=self.limits)

    async def options_from_form(self, formdata):
        user_options = options.from_form(formdata)
        # refuse on the form, with why: bad values, or an image that cannot run there
        self._check_image(self._resolve(user_options, await self.cluster.get()))
        return user_options

    def _resolve(self, user_options, snapshot) -> options.Choice:
        return options.resolve(
            user_options, user=self.user.name, profiles=self.profile_map, images=self.images,
            snapshot=snapshot, advanced=self._advanced,
            partitions=self.advanced_partitions, limits=self.limits)

    # ------------------------------------------------------------------ helpers
    @property
    def _home(self) -> str:
        return pwd.getpwnam(self.user.name).pw_dir

    @property
    def _uid(self) -> int | None:
        try:
            return pwd.getpwnam(self.user.name).pw_uid
        except KeyError:
            return None

    def _log_path(self, job_id: str) -> str:
        return f"{self._home}/{self._rel_dir()}/slurm-{job_id}.log"

    def _rel_dir(self) -> str:
        return f"{self.state_dir.strip('/')}/{server_key(self.name)}"

    def _env_path(self) -> str:
        return f"{self._home}/{self._rel_dir()}/env"

    def _server_env(self) -> dict[str, str]:
        env = self.get_env()
        out = {k: str(v) for k, v in env.items()
               if k.startswith(_ENV_PREFIXES) or k in self.environment}
        out["FUNICULAR_JOB_SITE"] = job_site(self, self._partition_names()).to_json()
        workshop = self.workshop
        if workshop is not None and workshop.material:
            out["FUNICULAR_MATERIAL_DIR"] = workshop.material_dir  # for the notebook's reset
        try:
            creds = store_credentials(self)
        except (OSError, ValueError, StorageConfigError) as e:
            self.log.error("funicular: no object store for %s: %s", self.user.name, e)
            creds = None
        if creds is not None:
            out.update(creds.to_env())
        if self.slurm_backend == "rest" and self.walltime_warning:
            # slurmrestd cannot signal the batch shell: the extension warns by a timer
            out["FUNICULAR_WALLTIME_WARNING"] = str(self.walltime_warning)
        return out

    def engine_options(self, engine: str) -> dict:
        """An engine's options as notebooks and follow-on jobs get them: the admin's,
        the executable's path for the site's engine, where the node helpers are."""
        options = dict(self.container_runtime_options.get(engine, {}))
        if engine == self.container_runtime and self.container_runtime_path:
            options.setdefault("executable", self.container_runtime_path)
        if self.node_helpers_dir:
            options.setdefault("helpers_dir", self.node_helpers_dir)
        return options

    def _binds(self) -> tuple[Bind, ...]:
        out = []
        for spec in self.container_binds:
            source, sep, target = spec.partition(":")
            out.append(Bind(source, target if sep else source))
        return tuple(out)

    def _partition_names(self) -> tuple[str, ...]:
        """Partitions of the last cluster view (for the job launcher's form)."""
        snap = getattr(self.cluster, "snapshot", None)
        return tuple(sorted(getattr(snap, "partitions", None) or ()))

    def slurm_token(self) -> dict:
        """A short-lived slurmrestd token for this server's user (the jobs API)."""
        if self.jobs_backend not in ("rest", "unicore") or not self.slurmrestd_jwt_key:
            raise web.HTTPError(404, "this hub hands out no tokens (jobs_backend 'rest' "
                                "or 'unicore', and slurmrestd_jwt_key)")
        try:
            self.identity.check(self.user.name)
        except IdentityError as e:
            raise web.HTTPError(403, str(e)) from None
        return mint_token(self.slurmrestd_jwt_key, self.user.name, self.jobs_token_lifespan)

    async def _userfile(self, action: str, path: str, content: str = "") -> str:
        """write/remove/tail a file in the user's home, as the user (funicular.core.userfiles)."""
        argv = as_user(self.become, self.user.name, self.identity) + [
            sys.executable, "-m", "funicular.core.userfiles", action, path]
        res = await proc.run(argv, stdin=content.encode(), timeout=self.slurm_timeout)
        if res.returncode != 0:
            raise RuntimeError(f"cannot {action} {path}: {res.stderr.strip()}")
        return res.stdout

    async def _sync_material(self) -> None:
        """A workshop's course material into the home, as the user, before the job is
        queued (on the hub's side: the course folder need not be in the container).
        A failure is reported, not fatal: the participant still gets a server."""
        workshop = self.workshop
        if workshop is None or not workshop.material:
            return
        try:
            source, note = await material_source(self, workshop)
            if note:
                self._emit(4, note)
            report = json.loads(await self._userfile(
                "material-sync", f"{self._home}/{workshop.material_dir}", source))
        except (RuntimeError, ValueError, OSError) as e:
            self.log.error("funicular: course material for %s: %s", self.user.name, e)
            self._emit(5, f"The course material could not be copied: {e}")
            return
        self._emit(5, f"Course material in ~/{workshop.material_dir}: "
                      f"{len(report['copied'])} new, {len(report['updated'])} updated, "
                      f"{len(report['kept'])} of yours kept")

    async def reset_material(self) -> dict:
        """The course material as handed out; the participant's folder moved aside."""
        workshop = self.workshop
        if workshop is None or not workshop.material:
            raise web.HTTPError(404, "no course material for this user")
        try:
            source, _ = await material_source(self, workshop)
        except RuntimeError as e:
            raise web.HTTPError(502, f"the course material cannot be fetched: {e}") from e
        return json.loads(await self._userfile(
            "material-reset", f"{self._home}/{workshop.material_dir}", source))

    def _batch_job(self, choice: options.Choice) -> BatchJob:
        image = self.catalog[choice.image]
        engine = choice.runtime or image.runtime or self.container_runtime
        runtime = get_runtime(engine, **self.engine_options(engine))
        scratch = Scratch(**self.volatile_scratch) if self.volatile_scratch else None
        launch = ContainerLaunch(
            image=image.path, user=self.user.name,
            home=self._home, gpus=choice.resources.gpus > 0,
            command=("funicular-singleuser", f"--env-file={self._rel_dir()}/env",
                     f"--report-timeout={self.report_timeout}", "--", *self.get_args()),
            workdir=f"/home/{self.user.name}",
            scratch=scratch, binds=self._binds(),
            env=(("HOME", f"/home/{self.user.name}"),  # where ch-run --home mounts it
                 ("FUNICULAR_CONTAINER_ENGINE", engine),
                 *(scratch.env if scratch else ())),
        )
        return BatchJob(
            name=self._job_name(),
            resources=choice.resources,
            command=tuple(runtime.argv(launch)),
            workdir=self._home,
            output=self._log_path("%j"),  # Slurm fills in the job id
            comment=self._comment(),
            warn_signal=f"USR1@{self.walltime_warning}" if self.walltime_warning else None,
            extra=tuple(self.extra_sbatch_args),
        )

    def _job_name(self) -> str:
        return f"{self.job_name_prefix}-{server_key(self.name)}"

    def _comment(self, nonce: str | None = None) -> str:
        """The hub's marker (what the orphan sweep looks for), and a submission's nonce."""
        marker = f"funicular {self.job_name_prefix} {self.user.name}/{self.name}"
        return submission.tagged(marker, nonce) if nonce else marker

    def _announce_node(self, node: str | None) -> None:
        """Once per start: the job runs; whichever notices first (status or report)."""
        if not any(e["message"].startswith("Running on ") for e in self._events):
            self._emit(50, f"Running on {node}; starting the container")

    def _emit(self, progress: int, message: str) -> None:
        self._events.append({"progress": progress, "message": message})
        self._events_changed.set()

    async def progress(self):
        sent = 0
        while True:
            while sent < len(self._events):
                yield self._events[sent]
                sent += 1
            if not self._starting:
                return
            self._events_changed.clear()
            try:
                await asyncio.wait_for(self._events_changed.wait(), 1)
            except TimeoutError:
                pass

    # ------------------------------------------------------------------ internal SSL
    async def create_certs(self):
        """The server's certificate must name whichever compute node Slurm picks: all
        nodes of the cluster, by name and address, go into its alt names."""
        snapshot = await self.cluster.get()
        loop = asyncio.get_running_loop()
        names = list(self.ssl_alt_names)
        for node in sorted(snapshot.nodes) if snapshot else []:
            names.append(f"DNS:{node}")
            try:
                for info in await loop.getaddrinfo(node, None, family=socket.AF_INET):
                    names.append(f"IP:{info[4][0]}")
            except OSError:
                pass
        self.ssl_alt_names = list(dict.fromkeys(names))
        return await super().create_certs()

    async def move_certs(self, paths):
        """Copy key, certificate and CA bundle into the server's private directory, as
        the user (0600); return the paths the server sees inside its container."""
        inside = f"/home/{self.user.name}/{self._rel_dir()}/ssl"
        out = {}
        for kind, name in (("keyfile", "key.pem"), ("certfile", "cert.pem"),
                           ("cafile", "ca.pem")):
            with open(paths[kind]) as f:
                await self._userfile("write", f"{self._home}/{self._rel_dir()}/ssl/{name}",
                                     f.read())
            out[kind] = f"{inside}/{name}"
        return out

    # ------------------------------------------------------------------ lifecycle
    async def start(self):
        self._starting = True
        self._start_failed = False
        self._events = []
        self.last_end = None
        try:
            return await self._start()
        except BaseException:
            self._start_failed = True  # poll() then leaves its job to stop()
            raise
        finally:
            self._starting = False
            self._events_changed.set()

    async def _start(self):
        try:
            self.identity.check(self.user.name)
        except IdentityError as e:
            raise web.HTTPError(403, str(e)) from None
        # first: the hub's handlers know this server by its token's id
        self.token_id = self._current_token_id()
        try:
            choice = self._resolve(self.user_options or {}, await self.cluster.get())
            warnings = self._check_image(choice)
            job, nonce = submission.with_nonce(self._batch_job(choice))
        except SpecError as e:
            self._refuse_options()
            # a 400 with the reason reaches the REST client and the spawn page as it is
            raise web.HTTPError(400, f"Invalid server options: {e}") from None
        self.accepted_options = dict(self.user_options or {})
        loop = asyncio.get_running_loop()
        self._address = loop.create_future()
        self._listening = asyncio.Event()
        await self._userfile("write", self._env_path(), envfile.render(self._server_env()))
        await self._sync_material()

        adopted = await self._adoptable()
        if adopted:
            self.job_id = adopted
            self._emit(10, f"Re-attached to Slurm job {adopted}")
        else:
            self.submit_nonce = nonce
            self._save_state()  # a hub that dies during sbatch: the sweep knows the nonce
            self.job_id = await submission.submit(self.slurm, job, user=self.user.name,
                                                  script=LAUNCH_SCRIPT, log=self.log)
            self._emit(10, f"Submitted Slurm job {self.job_id} ({choice.label})")
            for w in warnings:
                self._emit(10, f"Warning: {w}")
        self.adopt_job_id = self.submit_nonce = None
        self._save_state()
        self.log.info("%s: Slurm job %s", self._log_name, self.job_id)

        host, port = await self._wait_for_address()
        self.host, self.port_reported = host, port
        self._save_state()
        await self._wait_listening(host, port)
        await self._verify_listener(host, port)
        until = f"; Slurm ends it at {self.end_time}" if self.end_time else ""
        self._emit(90, f"Server is up on {host}:{port}{until}")
        return f"{'https' if self.internal_ssl else 'http'}://{host}:{port}"

    def _refuse_options(self) -> None:
        """JupyterHub stored the refused options as the ones a start without a body
        re-uses (the admin page, the culler, scripts): put back the last accepted."""
        self.orm_spawner.user_options = self.accepted_options or {}
        self._session.commit()

    async def _adoptable(self) -> str | None:
        """A job from before a hub restart that is still alive and can be adopted."""
        job_id = self.adopt_job_id
        if not job_id:
            return None
        try:
            info = await self.status.get(job_id, max_age=0)
        except SlurmError:
            info = None
        return job_id if info is not None and info.active else None

    async def _wait_for_address(self) -> tuple[str, int]:
        with self.status.hurry():
            return await self._watch_start()

    async def _watch_start(self) -> tuple[str, int]:
        last = None
        loop = asyncio.get_running_loop()
        queued_since = loop.time()
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(self._address),
                                              self.start_poll_interval)
            except TimeoutError:
                pass
            try:
                info = await self.status.get(self.job_id, max_age=self.start_poll_interval)
            except SlurmError as e:
                self.log.warning("%s: cannot ask Slurm (%s); still waiting", self._log_name, e)
                continue
            if info is None or not info.active:
                state = info.state if info else "gone"
                reason = f" ({info.reason})" if info and info.reason else ""
                raise RuntimeError(f"Slurm job {self.job_id} ended before the server started: "
                                   f"{state}{reason}. Log: {self._log_path(self.job_id)}")
            if info.waiting and self.max_queue_time and \
                    loop.time() - queued_since > self.max_queue_time:
                await self.slurm.cancel(self.job_id, user=self.user.name)
                raise web.HTTPError(
                    503, f"Your job {self.job_id} waited in the queue for more than "
                    f"{self.max_queue_time:.0f} s ({info.reason or info.state}) and was "
                    "cancelled. Try a smaller profile, or try again later.")
            now = (info.state, info.reason, info.batch_host, info.start_time)
            if now != last:
                last = now
                if info.waiting:
                    self._emit(20, pending_message(info))
                elif info.running:
                    self._announce_node(info.batch_host)

    async def _wait_listening(self, host: str, port: int, timeout: float | None = None) -> None:
        """Return as soon as the server accepts connections: the hub then finds it up at
        its first check instead of after a back-off delay. The server says so itself
        (its Funicular extension: accept_listening); knocking on the port, less and
        less often, covers images without the extension. (Knocking 20 times a second
        cost the hub 5 CPU seconds while 50 servers started.)"""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or self.http_timeout)
        delay = 0.05
        while loop.time() < deadline:
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1)
                writer.close()
                return
            except (OSError, TimeoutError):
                pass
            try:
                await asyncio.wait_for(self._listening.wait(), delay)
                return
            except TimeoutError:
                delay = min(delay * 1.5, 1.0)

    async def _verify_listener(self, host: str, port: int) -> None:
        """Route only to the process that proves it holds this server's token."""
        if not self.verify_listener:
            return
        url = f"{'https' if self.internal_ssl else 'http'}://{host}:{port}{self.server.base_url}"
        ctx = None
        if self.internal_ssl:  # as JupyterHub's own check of the server (User.spawn)
            s = self.user.settings
            ctx = make_ssl_context(s.get("internal_ssl_key"), s.get("internal_ssl_cert"),
                                   cafile=s.get("internal_ssl_ca"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.http_timeout
        while True:
            ok, why = await listenercheck.verify(url, self.api_token,
                                                 max(1.0, deadline - loop.time()), ctx)
            if ok:
                return
            if why.startswith("HTTP ") or loop.time() >= deadline:
                raise RuntimeError(f"the process listening on {host}:{port} is not this "
                                   f"server ({why}); nothing is routed to it")
            await asyncio.sleep(0.2)

    def accept_listening(self, host: str, port: int) -> tuple[int, str]:
        """The server at the address it reported accepts connections now."""
        if (host, port) != (self.host, self.port_reported):
            return 409, "this is not the address this server reported"
        self._listening.set()
        return 200, "ok"

    async def accept_address(self, host: str, port: int) -> tuple[int, str]:
        """Called by the address handler with validated values; returns (HTTP status, text)."""
        fut = self._address
        if fut is None or fut.done():
            if (host, port) == (self.host, self.port_reported):
                return 200, "already known"
            return 503, "this server is not waiting for an address (yet)"
        if not self.job_id:
            # under a burst the job may start, and report, before sbatch's answer is
            # back in the hub: the server tries again in a moment
            return 503, "the job's id is not known yet"
        try:
            info = await self.status.get(self.job_id, max_age=self.start_poll_interval)
            if info is None or not info.running:  # it reports only once it runs: look again
                info = await self.status.get(self.job_id, max_age=0)
        except SlurmError:
            return 503, "cannot ask Slurm right now"
        if info is None or not info.running or not info.batch_host:
            return 409, f"job {self.job_id} is not running"
        loop = asyncio.get_running_loop()
        try:
            addrs = {a[4][0] for a in await loop.getaddrinfo(info.batch_host, None)}
        except OSError:
            addrs = set()
        if host != info.batch_host and host not in addrs:
            return 403, f"{host} is not the node of job {self.job_id} ({info.batch_host})"
        self.end_time = info.end_time
        self._announce_node(info.batch_host)
        if not fut.done():
            fut.set_result((host, port))
        return 200, "ok"

    def end_epoch(self) -> float | None:
        """The job's end time as a Unix time (Slurm prints local time without a zone)."""
        try:
            return datetime.datetime.fromisoformat(self.end_time).timestamp()
        except (TypeError, ValueError):
            return None

    async def poll(self):
        if not self.job_id:
            # a start stopped while its sbatch's answer was outstanding: "running", so
            # that JupyterHub calls stop(), which looks the job up by its nonce
            return None if self.submit_nonce else 0
        if self._starting:
            return None
        try:
            info = await self.status.get(self.job_id, max_age=self.status_interval * 1.5)
        except SlurmError as e:
            # an unreachable controller is no reason to drop a healthy server
            self.log.warning("%s: cannot ask Slurm (%s); assuming it runs", self._log_name, e)
            return None
        if info is None or not info.active or info.state == "COMPLETING":
            self.status.unwatch(self.job_id)
            if self.last_end is None or self.last_end.job_id != self.job_id:
                self.last_end = await self._job_end(self.job_id)
                self.log.warning("%s: %s", self._log_name, self.last_end_message)
            return 1
        if info.running and self.port_reported:
            return None
        if (info.waiting or info.running) and self._start_failed:
            return None  # this hub process started it and the start failed: stop() cancels
        if info.waiting or info.running:
            # alive, but its server never reported to this hub process: the hub restarted
            # while it was queued or starting. Let the hub stop it without cancelling; a
            # re-attaching spawn adopts the job (see reattach.py).
            self.adopt_job_id = self.job_id
            self._respawn_wanted = True
            self._revoke_token(self.token_id)  # the re-attaching spawn issues a fresh one
            return 0
        return None  # suspended and the like: still holds its allocation

    async def _job_end(self, job_id: str) -> JobEnd:
        """What Slurm and the job log say about a job that ended on its own."""
        d = await self.slurm.describe(job_id)
        state = d.get("JobState", "UNKNOWN")
        by = await self.slurm.cancelled_by(job_id) if state == "CANCELLED" else None
        try:
            log_tail = await self._userfile("tail", self._log_path(job_id))
        except (RuntimeError, TimeoutError) as e:
            log_tail = f"(cannot read the job log: {e})"
        none = ("", "None", "(null)")
        return JobEnd(job_id=job_id, state=state,
                      reason=None if d.get("Reason") in none else d.get("Reason"),
                      exit_code=d.get("ExitCode"), end_time=d.get("EndTime"),
                      time_limit=d.get("TimeLimit"), node=d.get("BatchHost") or d.get("NodeList"),
                      cancelled_by_uid=by, log_tail=log_tail)

    async def stop(self, now=False):
        if self._address is not None and not self._address.done():
            self._address.cancel()
        ids = [j for j in {self.job_id, self.adopt_job_id} if j]
        if self.submit_nonce and not self.job_id:
            ids += await self._lost_submission()
        cancelled = []
        for job_id in ids:
            try:
                await self.slurm.cancel(job_id, user=self.user.name)
                cancelled.append(job_id)
            except (SlurmError, TimeoutError, IdentityError) as e:
                # the job stays known (pending_cancel), retried; the sweep sees it too
                self.log.error("%s: cannot cancel job %s (%s); will try again",
                               self._log_name, job_id, e)
                self.pending_cancel.append({"job_id": job_id, "token_id": self.token_id,
                                            "token_created": self._token_created(self.token_id)})
        self.adopt_job_id = None
        if len(cancelled) < len(ids):
            self._save_state()
            cancelling.schedule(self)
            return
        self._revoke_token(self.token_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while cancelled and loop.time() < deadline:
            try:
                infos = [await self.status.get(j, max_age=0.05) for j in cancelled]
            except (SlurmError, TimeoutError):
                infos = [None]
            if not any(info is not None and info.active for info in infos):
                break
            await asyncio.sleep(0.05)
        for job_id in cancelled:
            self.status.unwatch(job_id)
        try:
            await self._userfile("remove", self._env_path())
        except (RuntimeError, TimeoutError) as e:
            self.log.warning("%s: %s", self._log_name, e)

    async def _lost_submission(self) -> list[str]:
        """A start stopped while its sbatch's answer was outstanding: its job, if any."""
        try:
            found = await submission.find_submitted(
                self.slurm, self.user.name, self._job_name(), self._comment(self.submit_nonce))
        except (SlurmError, TimeoutError):
            return []  # the sweep will find it
        return [found] if found else []
