"""Every setting of FunicularSpawner, with the help an admin reads in ``--help-all``.

Declarations only, and the few values derived from them that several modules need
(the identity policy, an engine's options, the site's binds, how to reach Slurm):
the behaviour lives in the modules named for it.
"""

from traitlets import (
    Any,
    Bool,
    Callable,
    Dict,
    Enum,
    Float,
    HasTraits,
    Integer,
    List,
    Unicode,
    Union,
    default,
)

from funicular.core.become import METHODS
from funicular.core.containers import Bind
from funicular.core.identity import DEFAULT_MIN_UID, Policy
from funicular.core.slurm.backend import SlurmSettings


class SpawnerTraits(HasTraits):
    """FunicularSpawner's configuration (``c.FunicularSpawner.*``): a mixin before
    JupyterHub's Spawner, whose subclasses must define start, stop and poll."""
    profiles = List(
        Dict(),
        default_value=[{"name": "mc-1h", "display_name": "Multicore: 1 CPU, 1 hour",
                        "partition": "mc", "cpus": 1, "memory_mb": 1024, "minutes": 60,
                        "image": "notebook"}],
        help="""Spawn profiles users may choose from, first is the default. Each is a dict
        with name, display_name, partition, nodes, cpus, memory_mb, gpus, minutes, image
        (a key of `images`) and optionally account, reservation, qos. Every value is
        validated when the hub starts. Leave it unset when profile_list is used (the
        hub refuses to start with both).""",
    ).tag(config=True)

    profile_list = Union(
        [List(Dict()), Dict(), Callable()], default_value=[],
        help="""Profiles in KubeSpawner's form, instead of `profiles` (which must then be
        left unset): a list of {"display_name", "slug" (made from display_name when
        missing), "description", "default": True for the preselected one (else the
        first), "funicular_override": {setting: value} set on the spawner for a server
        of this profile ("kubespawner_override" is read alike, for FunicularSpawner
        settings only), "profile_options": {name: {"display_name", "choices": {key:
        {"display_name", "default", "funicular_override"}}, "unlisted_choice":
        {"enabled", "display_name", "display_name_in_choices", "validation_regex",
        "validation_message", "funicular_override" with "{value}" where the user's
        text goes}}}}, a dict of them by slug, or a callable (spawner) -> such a list,
        which may be async. The job's resources and image are the `server_job` setting:
        override it, e.g. {"server_job": {"partition": "gpu", "gpus": 1}}. A value that
        is a callable is called with the spawner; a dict merges into a dict setting.
        Checked whole when the hub starts (a callable's result when it is called);
        users choose with user_options {"profile": slug, "profile-option-NAME": key}
        or {"profile-option-NAME--unlisted-choice": text}.""",
    ).tag(config=True)

    server_job = Dict(
        {"partition": "mc", "cpus": 1, "memory_mb": 1024, "minutes": 60, "image": "notebook"},
        help="""With profile_list: what a notebook server's Slurm job asks for before a
        profile's overrides merge into it: partition, nodes, cpus, memory_mb, gpus,
        minutes, image (a key of `images`), and optionally account, reservation, qos,
        runtime (the keys of a `profiles` entry). Unused with `profiles`.""",
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
        with the credential c.FunicularUnicore names (a JWT the hub signs as
        pyunicore's JWTToken does, or the user's OIDC access token).""",
    ).tag(config=True)

    jobs_slurmrestd_url = Unicode(
        "", help="""slurmrestd's URL as the compute nodes reach it, for follow-on jobs;
        empty: slurmrestd_url.""",
    ).tag(config=True)

    jobs_slurm_bin_dir = Unicode(
        "", help="""For jobs_backend='cli': the directory of the Slurm commands inside
        the container, when the image's own client is not of the cluster's release
        (Slurm's clients talk to controllers of their own release and the two before)
        and the site binds its own in (container_binds), e.g. /opt/slurm/bin. Empty:
        the image's PATH.""",
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

    storage_swift_auth_version = Enum(
        ["", "1", "3"], "", help="""Swift's login: '1' (tempauth, swauth: auth/v1.0) or
        '3' (Keystone v3, as at Fenix and CSCS); empty: '3' for an auth URL ending in
        /v3, else '1'. With '3', storage_identity is the Keystone user name (set it to
        '{user}') and storage_keys_file holds each user's Keystone password.""",
    ).tag(config=True)

    storage_swift_user_domain = Unicode(
        "Default", help="Keystone v3: the domain of the users' Keystone accounts.",
    ).tag(config=True)

    storage_swift_project = Unicode(
        "{user}", help="""Keystone v3: the project (tenant) whose Swift account the user
        works in ({user} is the hub user's name).""",
    ).tag(config=True)

    storage_swift_project_domain = Unicode(
        "Default", help="Keystone v3: the domain of that project.",
    ).tag(config=True)

    storage_swift_region = Unicode(
        "", help="""Keystone v3: the region of Swift's endpoint in the service catalog,
        where it has several; empty: the first.""",
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

    slurm_bin_dir = Unicode(
        "", help="""Directory of the site's Slurm commands on the hub host, e.g.
        /opt/slurm/bin (the hub's own PATH need not have them, and sudo's secure_path
        does not). Each command below given as a bare name is taken from there; an
        absolute path is used as it is. Empty: PATH.""",
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

    @property
    def identity(self) -> Policy:
        return Policy(self.min_uid, self.allowed_group,
                      tuple((lo, hi) for lo, hi in self.system_uid_ranges))

    @property
    def slurm_settings(self) -> SlurmSettings:
        """How the hub reaches Slurm; equal settings share one backend's caches."""
        def cmd(name: str) -> str:
            if not self.slurm_bin_dir or "/" in name:
                return name
            return f"{self.slurm_bin_dir.rstrip('/')}/{name}"

        return SlurmSettings(
            kind=self.slurm_backend, timeout=self.slurm_timeout, identity=self.identity,
            become=self.become, sbatch=cmd(self.sbatch), squeue=cmd(self.squeue),
            scancel=cmd(self.scancel), scontrol=cmd(self.scontrol), sacct=cmd(self.sacct),
            sacctmgr=cmd(self.sacctmgr), slurmrestd_url=self.slurmrestd_url,
            jwt_key=self.slurmrestd_jwt_key, token_file=self.slurmrestd_token_file,
            service_user=self.slurmrestd_service_user)

    def engine_options(self, engine: str) -> dict:
        """An engine's options as notebooks and follow-on jobs get them: the admin's,
        the executable's path for the site's engine, where the node helpers are."""
        options = dict(self.container_runtime_options.get(engine, {}))
        if engine == self.container_runtime and self.container_runtime_path:
            options.setdefault("executable", self.container_runtime_path)
        if self.node_helpers_dir:
            options.setdefault("helpers_dir", self.node_helpers_dir)
        return options

    @property
    def binds(self) -> tuple[Bind, ...]:
        out = []
        for spec in self.container_binds:
            source, sep, target = spec.partition(":")
            out.append(Bind(source, target if sep else source))
        return tuple(out)
