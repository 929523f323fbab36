"""From what a user asked for (form or REST ``user_options``) to validated resources.

``resolve`` is a pure function of the request, the admin's configuration and a
snapshot of the cluster: every value is type-checked, then checked against the
admin's limits and against what Slurm reports, before a ``Resources`` is built.
Anything else raises ``SpecError`` with a message fit for the form; nothing
unchecked ever reaches sbatch.
"""

from dataclasses import dataclass, fields

from funicular.core import validate as v
from funicular.core.batchjob import Resources
from funicular.core.errors import SpecError
from funicular.core.images.compat import Problem, check
from funicular.core.slurm.cluster import ClusterSnapshot

from .profilelist import OPTION_PREFIX, UNLISTED_SUFFIX
from .profiles import Profile

INT_KEYS = ("nodes", "cpus", "memory_mb", "gpus", "minutes")
ADVANCED_KEYS = ("partition", "account", "nodes", "cpus", "memory_mb", "gpus", "minutes",
                 "reservation", "image")
# the smallest value of each; the largest is what the admin and the cluster allow
# (checked below, with the reason), and Resources enforces absolute bounds
_INT_MIN = {"nodes": 1, "cpus": 1, "memory_mb": 1, "gpus": 0, "minutes": 1}
_LABEL = {"nodes": "nodes", "cpus": "CPUs", "memory_mb": "memory (MB)", "gpus": "GPUs",
          "minutes": "walltime (minutes)"}
# the form's value of a profile option's select that means "the text field instead"
UNLISTED_PICK = "--unlisted-choice"


@dataclass(frozen=True)
class Limits:
    """The most a user may ask for in the advanced tab (None: what Slurm allows)."""

    max_nodes: int | None = 1
    max_cpus: int | None = None
    max_memory_mb: int | None = None
    max_gpus: int | None = None
    max_minutes: int | None = None

    @classmethod
    def from_config(cls, raw: dict) -> "Limits":
        known = {f.name for f in fields(cls)}
        if not isinstance(raw, dict) or set(raw) - known:
            raise SpecError("advanced_limits", f"limits must be a dict with keys from "
                            f"{sorted(known)}, got {raw!r}")
        for key, value in raw.items():
            if value is not None:
                v.integer(f"advanced_limits {key}", value, 0, 1 << 40)
        return cls(**raw)


def load_limits(raw: dict) -> dict[str, Limits]:
    """``{"*": {...}, "gpu": {...}}``: per-partition limits over the defaults in "*"."""
    base = raw.get("*", {}) if isinstance(raw, dict) else {}
    out = {"*": Limits.from_config(base)}
    for part, lim in (raw or {}).items():
        if part != "*":
            v.name("advanced_limits partition", part)
            out[part] = Limits.from_config({**base, **lim})
    return out


@dataclass(frozen=True)
class Choice:
    """What will be submitted: resources, image name and a label for progress messages."""

    resources: Resources
    image: str
    label: str
    profile: str
    runtime: str | None = None  # the profile's container engine, if it names one


def from_form(formdata: dict[str, list[str]]) -> dict:
    """The spawn form's fields as typed user_options (the same shape as the REST API)."""
    def one(key):
        values = formdata.get(key) or [""]
        return values[0].strip() if isinstance(values[0], str) else values[0]

    options: dict = {}
    if one("profile"):
        options["profile"] = one("profile")
        options.update(_profile_options(formdata, one("profile"), one))
    if one("mode") != "advanced":
        return options
    for key in ADVANCED_KEYS:
        value = one(key)
        if value == "":
            continue
        if key in INT_KEYS:
            value = v.digits(key, value, max_len=9)  # 0-9 only: not "٣" or "³"
        options[key] = value
    return options


def _profile_options(formdata: dict, slug: str, one) -> dict:
    """A profile_list profile's option fields, as kubespawner's form names them
    ("profile-option-<slug>--<name>", and "...--unlisted-choice" for the text), as
    user_options ("profile-option-<name>"): the chosen profile's only. The text counts
    where its select says so (or where there is no select: free text only)."""
    prefix = f"{OPTION_PREFIX}{slug}--"
    names = {k[len(prefix):].removesuffix(UNLISTED_SUFFIX) for k in formdata
             if isinstance(k, str) and k.startswith(prefix)}
    out = {}
    for name in sorted(names):
        select, text = f"{prefix}{name}", f"{prefix}{name}{UNLISTED_SUFFIX}"
        if select in formdata and one(select) != UNLISTED_PICK:
            out[f"{OPTION_PREFIX}{name}"] = one(select)
        elif text in formdata:
            out[f"{OPTION_PREFIX}{name}{UNLISTED_SUFFIX}"] = one(text)
    return out


def resolve(user_options: object, *, user: str, profiles: dict[str, Profile],
            images: dict[str, str], snapshot: ClusterSnapshot | None, advanced: bool,
            partitions: list[str], limits: dict[str, Limits], typed: bool = False) -> Choice:
    """``typed``: the profile holds a user's free text (a profile_list's unlisted
    choice), so its job is checked as an advanced request is, against the limits and
    what Slurm reports, not trusted as the admin's own."""
    if not isinstance(user_options, dict):
        raise SpecError("user_options", "must be an object")
    allowed = {"profile", *ADVANCED_KEYS} if advanced else {"profile"}
    unknown = set(user_options) - allowed
    if unknown:
        raise SpecError("user_options", f"unknown option(s) {sorted(map(str, unknown))}; "
                        f"allowed: {', '.join(sorted(allowed))}")
    profile = _profile(profiles, user_options.get("profile"))
    overrides = {k: user_options[k] for k in ADVANCED_KEYS if k in user_options}
    for key, value in overrides.items():
        if key in INT_KEYS:
            v.integer(_LABEL[key], value, _INT_MIN[key], 2**31 - 1)
        else:
            v.name(key, value)
    if "image" in overrides and overrides["image"] not in images:
        raise SpecError("image", f"{overrides['image']!r} is not in the image catalog: "
                        f"{', '.join(sorted(images))}")

    res = {f.name: getattr(profile.resources, f.name) for f in fields(Resources)}
    res.update({k: val for k, val in overrides.items() if k != "image"})
    image = overrides.get("image", profile.image)
    if overrides or typed:
        if snapshot is None:
            raise SpecError("options", "the cluster's current state is unknown (the Slurm "
                            "controller does not answer), so only the profiles can be used "
                            "right now")
        _check_cluster(res, user=user, snapshot=snapshot, partitions=partitions,
                       limits=limits.get(res["partition"], limits["*"]))
    if overrides:
        label = (f"custom: {res['partition']}, {res['nodes']} node(s), {res['cpus']} CPU(s), "
                 f"{res['gpus']} GPU(s), {res['minutes']} min")
    else:
        if snapshot is not None:
            reason = unusable_reason(profile, user, snapshot)
            if reason:
                raise SpecError("profile", f"{profile.display_name}: {reason}")
        label = profile.display_name
    return Choice(resources=Resources(**res), image=image, label=label, profile=profile.name,
                  runtime=profile.runtime)


def _profile(profiles: dict[str, Profile], name: object) -> Profile:
    if name is None:
        return next(iter(profiles.values()))
    if not isinstance(name, str) or name not in profiles:
        raise SpecError("profile", f"{name!r} is not one of the offered profiles: "
                        f"{', '.join(profiles)}")
    return profiles[name]


def unusable_reason(profile: Profile, user: str, snapshot: ClusterSnapshot) -> str | None:
    """Why this user cannot use an admin profile right now (shown on the form), or None."""
    r = profile.resources
    part = snapshot.partitions.get(r.partition)
    if part is None:
        return f"partition {r.partition} does not exist any more"
    if not part.up:
        return f"partition {r.partition} is down"
    if r.account and not snapshot.account_allows(user, r.account, r.partition):
        return f"needs Slurm account {r.account}, which you are not a member of"
    if r.reservation:
        resv = snapshot.reservations.get(r.reservation)
        if resv is None or not resv.active:
            return f"reservation {r.reservation} is not active"
        if not resv.admits(user, snapshot.accounts_of(user)):
            return f"you are not in reservation {r.reservation}"
    return None


def _check_cluster(res: dict, *, user: str, snapshot: ClusterSnapshot, partitions: list[str],
                   limits: Limits) -> None:
    name = res["partition"]
    part = snapshot.partitions.get(name)
    offered = [p for p in snapshot.partitions.values() if not p.hidden and
               (not partitions or p.name in partitions)]
    if part is None or part not in offered:
        raise SpecError("partition", f"{name!r} is not a partition you can use here: "
                        f"{', '.join(p.name for p in offered) or 'none'}")
    if not part.up:
        raise SpecError("partition", f"partition {name} is down")

    accounts = snapshot.accounts_of(user)
    account = res["account"]
    if account is not None and not snapshot.account_allows(user, account, name):
        raise SpecError("account", f"{account!r} is not one of your Slurm accounts"
                        f"{' for partition ' + name if account in accounts else ''}: "
                        f"{', '.join(accounts) or 'none'}")
    if part.allow_accounts is not None or part.deny_accounts:
        effective = account or (accounts[0] if accounts else None)
        if effective in part.deny_accounts or (
                part.allow_accounts is not None and effective not in part.allow_accounts):
            raise SpecError("account", f"partition {name} does not accept account "
                            f"{effective}")

    s = snapshot.summary(name)
    caps = {
        "nodes": (limits.max_nodes, part.max_nodes, s.nodes_total),
        "cpus": (limits.max_cpus, s.max_cpus_per_node),
        "memory_mb": (limits.max_memory_mb, s.max_memory_mb_per_node),
        "gpus": (limits.max_gpus, s.max_gpus_per_node),
        "minutes": (limits.max_minutes, part.max_minutes),
    }
    for key, bounds in caps.items():
        value = res[key]
        if value is None:
            continue
        cap = min(b for b in bounds if b is not None) if any(
            b is not None for b in bounds) else None
        if cap is not None and value > cap:
            if key == "gpus" and cap == 0:
                raise SpecError("GPUs", f"partition {name} has no GPUs")
            per = " per node" if key in ("cpus", "memory_mb", "gpus") else ""
            raise SpecError(_LABEL[key], f"{value} is more than the {cap}{per} allowed on "
                            f"partition {name}")

    if res["reservation"] is not None:
        resv = snapshot.reservations.get(res["reservation"])
        if resv is None or not resv.active or not resv.admits(user, accounts):
            usable = [r.name for r in snapshot.reservations_for(user)]
            raise SpecError("reservation", f"{res['reservation']!r} is not an active "
                            f"reservation you may use: {', '.join(usable) or 'none'}")
        part_nodes = {n for n, node in snapshot.nodes.items() if name in node.partitions}
        if (resv.partition and resv.partition != name) or not part_nodes & set(resv.nodes):
            raise SpecError("reservation", f"reservation {resv.name} has no nodes in "
                            f"partition {name}")


def check_image(choice: Choice, annotations: dict, fingerprint, mode: str) -> list[Problem]:
    """Refuse (SpecError, mode 'refuse') or return warnings for an image that cannot
    run on the chosen partition (its annotations against the partition's
    fingerprint), before anything is queued."""
    part = choice.resources.partition
    problems = check(annotations, fingerprint, gpus=choice.resources.gpus > 0,
                     where=f"partition {part}")
    fatal = [p for p in problems if p.fatal]
    if fatal and mode == "refuse":
        raise SpecError("image", f"{choice.image} cannot run on partition {part}: "
                        + "; ".join(map(str, fatal)))
    return problems
