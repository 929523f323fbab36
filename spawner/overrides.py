"""A profile's settings on the spawner: kubespawner's ``_load_profile`` semantics, made
safe to fail and to repeat.

As in kubespawner, each layer (the profile's overrides, then each option's, in order)
is set on the spawner: a callable value is called with the spawner (and awaited if it
returns an awaitable), a dict merges into a dict setting key by key (None removes a
key), anything else replaces. Unlike a plain ``setattr`` loop:

- the whole result is computed and checked against each setting's trait first
  (``compose``, ``check``), so a refused choice changes nothing;
- what was set is remembered with what it replaced (``Applied``) and put back when
  the server goes (the spawner's ``clear_state``), so one start's profile never leaks
  into the next start of the same server with another profile.

``NOT_PER_PROFILE`` names the settings a profile may not set, with the reason an admin
reads: they are hub-wide, made once when the spawner is built, read again while the
server runs (a hub restarted meanwhile would not have them), or used by JupyterHub
before the profile is applied.
"""

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from funicular.core.errors import SpecError

from .profilelist import Override

log = logging.getLogger("funicular.spawner")

_HUB_WIDE = "it is the hub's, for every user and server"
_AT_BUILD = "the spawner reads it once, when it is made"
_WHILE_RUNNING = ("the hub reads it while the server runs, also after a restart that "
                  "knows nothing of the profile")
_BEFORE = "JupyterHub has used it before the profile is applied"
_SLURM = ("Slurm enforces the job's resources: set 'server_job' (cpus, memory_mb), "
          "which the job asks for")

NOT_PER_PROFILE: dict[str, str] = {
    **dict.fromkeys(("profiles", "profile_list", "workshops"), "it is what the profile "
                    "is chosen from"),
    **dict.fromkeys(("images", "job_images"), "the image catalog is the hub's: choose "
                    "an image of it with 'server_job' (image)"),
    **dict.fromkeys(("advanced_options", "advanced_partitions", "advanced_limits",
                     "cluster_info_ttl", "material_cache_dir", "material_refresh",
                     "orphan_sweep_interval", "orphan_grace", "job_name_prefix",
                     "state_dir", "min_uid", "system_uid_ranges", "allowed_group",
                     "verify_listener"),
                    _HUB_WIDE),
    **dict.fromkeys(("become", "slurm_backend", "slurm_bin_dir", "sbatch", "squeue",
                     "scancel", "scontrol", "sacct", "sacctmgr", "slurm_timeout",
                     "slurmrestd_url", "slurmrestd_jwt_key", "slurmrestd_token_file",
                     "slurmrestd_service_user", "status_interval", "start_poll_interval"),
                    _AT_BUILD),
    **dict.fromkeys(("jobs_backend", "jobs_token_lifespan"), _WHILE_RUNNING),
    **dict.fromkeys(("options_form", "options_from_form", "apply_user_options",
                     "group_overrides", "pre_spawn_hook", "auth_state_hook",
                     "server_token_scopes", "oauth_roles", "oauth_client_allowed_scopes"),
                    _BEFORE),
    **dict.fromkeys(("ip", "port"), "the server takes a free port of its node's address "
                    "and reports it"),
    **dict.fromkeys(("cpu_limit", "cpu_guarantee", "mem_limit", "mem_guarantee"), _SLURM),
}


def merged(current: object, new: object) -> object:
    """kubespawner's merge of an override into a setting: a dict into a dict key by
    key, recursively (None removes a key); anything else replaces. Never in place."""
    if not (isinstance(new, Mapping) and isinstance(current, Mapping)):
        return new
    out = dict(current)
    for key, value in new.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merged(out.get(key), value)
    return out


@dataclass(frozen=True)
class Composed:
    """The settings a profile sets, each with the path of the override that set it last."""

    values: dict[str, object]
    origin: dict[str, str]


async def compose(layers: list[Override], current: Callable[[str], object],
                  spawner: object) -> Composed:
    """The layers' result over the settings' ``current`` values; nothing is set. A
    callable that fails is a SpecError naming its key."""
    values: dict[str, object] = {}
    origin: dict[str, str] = {}
    for layer in layers:
        for key, value in layer.values.items():
            if callable(value):
                try:
                    value = value(spawner)
                    if inspect.isawaitable(value):
                        value = await value
                except Exception:  # the admin's code: where, to the user; why, to the log
                    log.exception("%s: %r: the callable failed", layer.where, key)
                    raise SpecError(layer.where, f"{key!r}: the callable failed (the "
                                    "hub's log says why)") from None
            values[key] = merged(values[key] if key in values else current(key), value)
            origin[key] = layer.where
    return Composed(values, origin)


def check(composed: Composed, validate: Callable[[str, object], object]) -> dict[str, object]:
    """Each value as its trait takes it (e.g. a str cmd becomes a list), or a SpecError
    naming the override that set it."""
    out = {}
    for key, value in composed.values.items():
        try:
            out[key] = validate(key, value)
        except (ValueError, TypeError) as e:  # a trait's refusal: offer._as_trait
            raise SpecError(composed.origin[key], f"{key!r}: {e}") from None
    return out


@dataclass(frozen=True)
class Applied:
    """What a start set (as the spawner then held it) and what each replaced."""

    before: dict[str, object]
    after: dict[str, object]


NOTHING = Applied({}, {})


def apply(obj: object, values: dict[str, object]) -> Applied:
    """Set ``values`` on ``obj``, all or none."""
    before = {key: getattr(obj, key) for key in values}
    done = []
    try:
        for key, value in values.items():
            setattr(obj, key, value)
            done.append(key)
    except Exception:
        for key in reversed(done):
            setattr(obj, key, before[key])
        raise
    return Applied(before, {key: getattr(obj, key) for key in values})


def underneath(obj: object, applied: Applied) -> Callable[[str], object]:
    """A setting's value as ``restore`` would leave it, without restoring: what a new
    profile's layers go over while the last one's may still be set."""
    def value(key: str) -> object:
        now = getattr(obj, key)
        return applied.before[key] if key in applied.before and now == applied.after[key] \
            else now
    return value


def restore(obj: object, applied: Applied) -> None:
    """Put back what ``apply`` replaced, where the setting still holds what it set (a
    value someone set since, e.g. JupyterHub's group_overrides, stays)."""
    for key, value in applied.before.items():
        if getattr(obj, key) == applied.after[key]:
            setattr(obj, key, value)
