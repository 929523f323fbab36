"""What Funicular does when the hub starts: check the whole configuration, then start
the orphan sweep (orphans.py).

JupyterHub has no start-up hook and imports its spawner classes before its event loop
runs, so ``JupyterHub.init_spawners`` is wrapped, once, when ``funicular.spawner`` is
imported. A configuration that cannot work stops the hub with a message naming the
key; where the wrap is missing, the sweep still starts with the first spawner the hub
builds.
"""

from traitlets import TraitError

from funicular.core.errors import SpecError


class ConfigError(SystemExit):
    """The hub stops: a setting of FunicularSpawner cannot work."""


def with_hub() -> None:
    from jupyterhub.app import JupyterHub

    original = getattr(JupyterHub, "init_spawners", None)
    if original is None or getattr(original, "_funicular", False):
        return

    async def init_spawners(app, *args, **kwargs):
        result = await original(app, *args, **kwargs)
        at_start(app)
        return result

    init_spawners._funicular = True
    JupyterHub.init_spawners = init_spawners


def at_start(app) -> None:
    """``app``: the JupyterHub application, its spawners initialised."""
    # FunicularSpawner or a subclass, by what it does (importing it here would loop)
    if not callable(getattr(app.spawner_class, "check_config", None)):
        return
    try:
        # a spawner of no user: the admin's configuration (backend, prefix, intervals)
        config_only = app.spawner_class(config=app.config, log=app.log)
        config_only.check_config()
    except (SpecError, ValueError, TraitError, TypeError) as e:
        app.log.critical("FunicularSpawner's configuration cannot work: %s", e)
        raise ConfigError(f"FunicularSpawner's configuration cannot work: {e}") from None
    try:
        config_only.start_sweep(app.proxy, app.db)
    except Exception:  # the hub runs without the sweep rather than not at all
        app.log.exception("the orphan sweep did not start")
