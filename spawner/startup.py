"""What Funicular does when the hub starts: check the whole configuration, then start
the orphan sweep (orphans.py).

JupyterHub has no start-up hook and imports its spawner classes before its event loop
runs, so ``JupyterHub.init_spawners`` is wrapped, once, when ``funicular.spawner`` is
imported. A configuration that cannot work stops the hub with a message naming the
key; where the wrap is missing, the sweep still starts with the first spawner the hub
builds.
"""

from traitlets import TraitError

from funicular.core.errors import SlurmError, SpecError
from funicular.core.slurm.backend import check_rest
from funicular.core.slurm.versions import UnknownVersion


class ConfigError(SystemExit):
    """The hub stops: a setting of FunicularSpawner cannot work."""


def with_hub() -> None:
    from jupyterhub.app import JupyterHub

    original = getattr(JupyterHub, "init_spawners", None)
    if original is None or getattr(original, "_funicular", False):
        return

    async def init_spawners(app, *args, **kwargs):
        result = await original(app, *args, **kwargs)
        spawner = at_start(app)
        if spawner is not None:
            await check_slurmrestd(app, spawner)
        return result

    init_spawners._funicular = True
    JupyterHub.init_spawners = init_spawners


def at_start(app):
    """``app``: the JupyterHub application, its spawners initialised. Returns the
    spawner of no user it checked (None: the hub's spawner is not Funicular's)."""
    # FunicularSpawner or a subclass, by what it does (importing it here would loop)
    if not callable(getattr(app.spawner_class, "check_config", None)):
        return None
    try:
        # a spawner of no user: the admin's configuration (backend, prefix, intervals)
        config_only = app.spawner_class(config=app.config, log=app.log)
        config_only.check_config()
        if config_only.jobs_backend == "unicore":
            from .unicorecreds import FunicularUnicore, UnicoreConfigError, check_settings
            try:
                check_settings(FunicularUnicore(config=app.config))
            except (UnicoreConfigError, OSError, ImportError) as e:
                raise ValueError(f"FunicularUnicore: {e}") from None
    except (SpecError, ValueError, TraitError, TypeError) as e:
        app.log.critical("FunicularSpawner's configuration cannot work: %s", e)
        raise ConfigError(f"FunicularSpawner's configuration cannot work: {e}") from None
    try:
        config_only.start_sweep(app.proxy, app.db)
    except Exception:  # the hub runs without the sweep rather than not at all
        app.log.exception("the orphan sweep did not start")
    return config_only


async def check_slurmrestd(app, spawner) -> str | None:
    """With slurm_backend='rest': the API version the hub will speak, asked now. A
    slurmrestd that serves none Funicular speaks stops the hub, naming what it serves;
    one that does not answer yet is only logged (it may start after the hub, and every
    call asks again until it answers)."""
    if spawner.slurm_backend != "rest":
        return None
    from . import shared

    try:
        version = await check_rest(shared.backend(spawner.slurm_settings))
    except UnknownVersion as e:
        app.log.critical("FunicularSpawner's configuration cannot work: %s", e)
        raise ConfigError(f"FunicularSpawner's configuration cannot work: {e}") from None
    except SlurmError as e:
        app.log.warning("slurmrestd not checked at start: %s", e)
        return None
    app.log.info("slurmrestd at %s: speaking OpenAPI %s", spawner.slurmrestd_url, version)
    return version
