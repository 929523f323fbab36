"""The Slurm job a profile_list selection asks for: the ``server_job`` setting with
the selection's overrides of it merged in, checked as the admin's ``profiles`` are.

``job_profile`` makes a Profile (what options.resolve and the form take) of a job;
``static_job`` works a job out from the configuration alone, where no callable
decides it, so the hub can check every listed choice when it starts
(``check_jobs``) and the form can say what each profile gets.
"""

from collections.abc import Mapping

from funicular.core import validate as v
from funicular.core.errors import SpecError

from .overrides import merged
from .profilelist import JOB_SETTING, ListedProfile, Selection, has_callable, job_keys
from .profiles import Profile


def job_profile(selection: Selection, job: object, images: dict) -> Profile:
    """The job a selection asks for (``server_job`` once its overrides are in) as a
    Profile, checked as the admin's ``profiles`` are. Whole numbers may be written as
    digits in a string: that is what free text ({value}) gives."""
    job_keys(JOB_SETTING, job)
    raw = dict(job)
    for key in ("nodes", "cpus", "memory_mb", "gpus", "minutes"):
        if isinstance(raw.get(key), str):
            raw[key] = v.digits(f"{JOB_SETTING}.{key}", raw[key], max_len=9)
    return Profile.from_config({"name": selection.profile.slug,
                                "display_name": selection.label, **raw}, images)


def static_job(selection: Selection, base: object) -> dict | None:
    """The job a selection asks for as far as the configuration says it (the hub's
    start check, the form's line): None where a callable decides it."""
    job = base
    for layer in selection.layers():
        value = layer.values.get(JOB_SETTING)
        if value is None:
            continue
        if callable(value) or has_callable(value):
            return None
        job = merged(job, value)
    return dict(job) if isinstance(job, Mapping) else None


def defaults_of(profile: ListedProfile) -> Selection | None:
    """The profile with every option at its default choice (None: an option is free
    text only, so there is no default to show or check)."""
    picks = []
    for option in profile.options:
        if option.default is None:
            return None
        picks.append((option, option.choice(option.default)))
    return Selection(profile, tuple(picks))


def each_choice(profile: ListedProfile):
    """(path, selection): every listed choice once, the other options at their
    defaults: what the checks build a job from (free text cannot be known before a
    user types it)."""
    base = defaults_of(profile)
    if base is not None:
        yield profile.where, base
    for i, option in enumerate(profile.options):
        for choice in option.choices:
            picks = []
            for j, other in enumerate(profile.options):
                if j == i:
                    picks.append((other, choice))
                elif other.default is None:
                    break
                else:
                    picks.append((other, other.choice(other.default)))
            else:
                yield choice.where, Selection(profile, tuple(picks))


def check_jobs(profiles: tuple[ListedProfile, ...], base_job: object, images: dict) -> None:
    """Every job the configuration alone decides (each choice, with the other options
    at their defaults) is one that can be submitted: SpecError naming the profile's or
    choice's path otherwise. Jobs a callable decides are checked when it is called."""
    for profile in profiles:
        for where, selection in each_choice(profile):
            error = _job_error(selection, base_job, images)
            if error is not None:
                raise SpecError(_blame(selection, base_job, images) or where, str(error))


def _job_error(selection: Selection, base_job: object, images: dict) -> SpecError | None:
    job = static_job(selection, base_job)
    if job is None:
        return None
    try:
        job_profile(selection, job, images)
    except SpecError as e:
        return e
    return None


def _blame(selection: Selection, base_job: object, images: dict) -> str | None:
    """The path of the layer after which the job stops being one: the choice after
    the longest run of layers that still make a job (None: not even the profile's)."""
    for n in range(len(selection.picks), -1, -1):
        if _job_error(Selection(selection.profile, selection.picks[:n]), base_job,
                      images) is None:
            return selection.picks[n][1].where if n < len(selection.picks) else None
    return None
