"""kubespawner's ``profile_list``, read the way kubespawner documents it, checked the way
Funicular checks everything else.

An admin moving from KubeSpawner keeps their list: ``display_name``, ``slug`` (made
from display_name when missing), ``description``, ``default``, per-profile overrides
of the spawner's settings (``funicular_override``, or ``kubespawner_override`` as an
alias), and ``profile_options`` whose choices carry overrides of their own, with an
optional free-text ``unlisted_choice``. What differs is strictness: every key is
known or refused with its path (``profile_list[2].funicular_override: unknown
FunicularSpawner setting 'partitionz'``), and a user's choice either names a profile
and choices that exist or is refused naming the field, before anything changes.

Pure: from the admin's list (or a callable's result) to typed profiles (``parse``);
from a user's options to the one selection they name (``choose``); from a selection
to its override layers in kubespawner's order (``Selection.layers``). The job a
selection asks for is profilejob.py's; setting the layers on the spawner,
overrides.py's; binding to the settings, offer.py's.
"""

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from funicular.core import validate as v
from funicular.core.errors import SpecError

from .profiles import JOB_KEYS

# user_options (the REST API's, and the form's once read): "profile": a slug;
# "profile-option-<name>": a choice's key; "profile-option-<name>--unlisted-choice":
# free text. On the form each profile's fields carry its slug too, as kubespawner's do:
# "profile-option-<slug>--<name>" (options.from_form takes the chosen profile's).
OPTION_PREFIX = "profile-option-"
UNLISTED_SUFFIX = "--unlisted-choice"
VALUE = "{value}"  # where free text goes in an unlisted choice's overrides
OVERRIDE_KEYS = ("funicular_override", "kubespawner_override")
JOB_SETTING = "server_job"  # the setting whose value is the job (see traits.py)
# slugs, option names and choice keys: letters and digits in words joined by one
# ".", "_" or "-" (so "--" in a form field's name is always a separator)
_SLUG = re.compile(r"[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*")
_SLUG_MAX = 64
_PROFILE_KEYS = {"display_name", "slug", "description", "default", "profile_options",
                 *OVERRIDE_KEYS}
_OPTION_KEYS = {"display_name", "choices", "unlisted_choice"}
_CHOICE_KEYS = {"display_name", "default", *OVERRIDE_KEYS}
_UNLISTED_KEYS = {"enabled", "display_name", "display_name_in_choices", "validation_regex",
                  "validation_message", *OVERRIDE_KEYS}
# settings a user's free text may never reach: sbatch options are the admin's alone
_NO_FREE_TEXT = {"extra_sbatch_args"}


@dataclass(frozen=True)
class Rules:
    """What an override may set: the spawner's settings, less those that cannot change
    per profile (name -> why), and how to check a setting's value (raises)."""

    settings: frozenset[str]
    refused: Mapping[str, str] = field(default_factory=dict)
    check: Callable[[str, object], object] | None = None


@dataclass(frozen=True)
class Override:
    """One override dict as the admin wrote it (values may be callables), and its path
    in the configuration for messages."""

    where: str
    values: Mapping[str, object]


@dataclass(frozen=True)
class OptionChoice:
    key: str
    display_name: str
    override: Override
    where: str = ""  # its path in the configuration


@dataclass(frozen=True)
class Unlisted:
    """A free-text choice: checked as the form's other names are, then against the
    admin's pattern; substituted for ``{value}`` in its overrides."""

    display_name: str
    display_name_in_choices: str
    pattern: re.Pattern | None
    message: str
    override: Override

    def check(self, field_name: str, text: object) -> str:
        v.name(field_name, text)
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise SpecError(field_name, self.message or
                            f"{text!r} does not match {self.pattern.pattern!r}")
        return text


@dataclass(frozen=True)
class ProfileOption:
    name: str
    display_name: str
    choices: tuple[OptionChoice, ...]
    default: str | None  # a choice's key; None: free text only
    unlisted: Unlisted | None

    @property
    def field(self) -> str:
        return f"{OPTION_PREFIX}{self.name}"

    @property
    def text_field(self) -> str:
        return f"{OPTION_PREFIX}{self.name}{UNLISTED_SUFFIX}"

    def choice(self, key: str) -> OptionChoice | None:
        return next((c for c in self.choices if c.key == key), None)


@dataclass(frozen=True)
class ListedProfile:
    slug: str
    display_name: str
    description: str
    default: bool
    override: Override
    options: tuple[ProfileOption, ...]
    where: str = ""  # its path in the configuration


@dataclass(frozen=True)
class Selection:
    """A profile and, for each of its options, a choice or free text."""

    profile: ListedProfile
    picks: tuple[tuple[ProfileOption, OptionChoice | str], ...]

    @property
    def typed(self) -> bool:
        """Whether a user's free text is in it (its job is then checked as an advanced
        request is: options.resolve)."""
        return any(isinstance(pick, str) for _, pick in self.picks)

    @property
    def label(self) -> str:
        chosen = [f"{o.display_name}: {p if isinstance(p, str) else p.display_name}"
                  for o, p in self.picks]
        name = self.profile.display_name
        return f"{name} ({', '.join(chosen)})" if chosen else name

    def layers(self) -> list[Override]:
        """kubespawner's order: the profile's overrides, then each option's, in the
        order the admin wrote the options; free text in place of ``{value}``."""
        out = [self.profile.override]
        for option, pick in self.picks:
            if isinstance(pick, str):
                over = option.unlisted.override
                out.append(Override(over.where, substitute(over.values, pick)))
            else:
                out.append(pick.override)
        return out

    def user_options(self) -> dict[str, str]:
        """The selection as user_options, every choice spelt out."""
        out = {"profile": self.profile.slug}
        for option, pick in self.picks:
            if isinstance(pick, str):
                out[option.text_field] = pick
            else:
                out[option.field] = pick.key
        return out


def substitute(value, text: str):
    """``value`` with ``{value}`` replaced by ``text`` in every string, keys included
    (plain replacement: no other braces are read, unlike str.format)."""
    if isinstance(value, str):
        return value.replace(VALUE, text)
    if isinstance(value, Mapping):
        return {substitute(k, text): substitute(val, text) for k, val in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(substitute(x, text) for x in value)
    return value


def slug_of(text: str) -> str:
    """A slug from a display name as kubespawner's (python-slugify) makes it for Latin
    text: accents dropped, lower case, apostrophes gone, other runs of symbols one
    "-"; "" when nothing is left (then the admin must give ``slug``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower().replace("'", "")).strip("-")
    return slug[:_SLUG_MAX].rstrip("-")


# ------------------------------------------------------------------ parsing
def parse(raw: object, rules: Rules, *, where: str = "profile_list") -> tuple[ListedProfile, ...]:
    """The admin's list (or dict by slug, in key order, as kubespawner takes it), checked
    whole; SpecError naming the path of the first broken key."""
    if isinstance(raw, Mapping):
        entries = [(f"{where}[{key!r}]", raw[key]) for key in sorted(raw, key=str)]
    elif isinstance(raw, list | tuple):
        entries = [(f"{where}[{i}]", entry) for i, entry in enumerate(raw)]
    else:
        raise SpecError(where, f"must be a list of profiles (or a dict of them), got "
                        f"{type(raw).__name__}")
    if not entries:
        raise SpecError(where, "offers no profile")
    profiles = [_profile(path, entry, rules) for path, entry in entries]
    seen: dict[str, str] = {}
    for (path, _), p in zip(entries, profiles, strict=True):
        if p.slug in seen:
            raise SpecError(f"{path}.slug", f"{p.slug!r} is also the slug of {seen[p.slug]}")
        seen[p.slug] = path
    defaults = [path for (path, _), p in zip(entries, profiles, strict=True) if p.default]
    if len(defaults) > 1:
        raise SpecError(where, f"more than one profile has 'default': {', '.join(defaults)}")
    if not defaults:  # kubespawner's rule: then the first one
        profiles[0] = replace(profiles[0], default=True)
    return tuple(profiles)


def _profile(where: str, raw: object, rules: Rules) -> ListedProfile:
    _keys(where, raw, _PROFILE_KEYS)
    display_name = _text(f"{where}.display_name", raw.get("display_name"), required=True)
    if "slug" in raw:
        slug = _slug(f"{where}.slug", raw["slug"])
    else:
        slug = slug_of(display_name)
        if not slug:
            raise SpecError(f"{where}.display_name", f"no slug can be made from "
                            f"{display_name!r}: give the profile a 'slug'")
    options_raw = raw.get("profile_options", {})
    if not isinstance(options_raw, Mapping):
        raise SpecError(f"{where}.profile_options", "must be a dict of options by name")
    options = tuple(_option(f"{where}.profile_options.{name}", name, spec, rules)
                    for name, spec in options_raw.items())
    return ListedProfile(slug=slug, display_name=display_name,
                         description=_text(f"{where}.description", raw.get("description")),
                         default=_flag(f"{where}.default", raw.get("default", False)),
                         override=_override(where, raw, rules), options=options, where=where)


def _option(where: str, name: object, raw: object, rules: Rules) -> ProfileOption:
    if not isinstance(name, str) or not _SLUG.fullmatch(name) or len(name) > _SLUG_MAX:
        raise SpecError(where, f"option name {name!r}: {_SLUG_RULE}")
    _keys(where, raw, _OPTION_KEYS)
    choices_raw = raw.get("choices", {})
    if not isinstance(choices_raw, Mapping):
        raise SpecError(f"{where}.choices", "must be a dict of choices by key")
    choices, defaults = [], []
    for key, spec in choices_raw.items():
        path = f"{where}.choices.{key}"
        if not isinstance(key, str) or not _SLUG.fullmatch(key) or len(key) > _SLUG_MAX:
            raise SpecError(path, f"choice key {key!r}: {_SLUG_RULE}")
        _keys(path, spec, _CHOICE_KEYS)
        if _flag(f"{path}.default", spec.get("default", False)):
            defaults.append(key)
        choices.append(OptionChoice(key, _text(f"{path}.display_name",
                                               spec.get("display_name", key)),
                                    _override(path, spec, rules), where=path))
    if len(defaults) > 1:
        raise SpecError(f"{where}.choices", f"more than one choice has 'default': "
                        f"{', '.join(defaults)}")
    unlisted = _unlisted(f"{where}.unlisted_choice", raw.get("unlisted_choice"), rules)
    if not choices and unlisted is None:
        raise SpecError(where, "has no choices and no enabled unlisted_choice")
    default = defaults[0] if defaults else choices[0].key if choices else None
    return ProfileOption(name, _text(f"{where}.display_name", raw.get("display_name", name)),
                         tuple(choices), default, unlisted)


def _unlisted(where: str, raw: object, rules: Rules) -> Unlisted | None:
    if raw is None:
        return None
    _keys(where, raw, _UNLISTED_KEYS)
    if not _flag(f"{where}.enabled", raw.get("enabled", False)):
        return None
    regex = raw.get("validation_regex")
    pattern = None
    if regex is not None:
        if not isinstance(regex, str):
            raise SpecError(f"{where}.validation_regex", "must be a regular expression")
        try:
            pattern = re.compile(regex)
        except re.error as e:
            raise SpecError(f"{where}.validation_regex", f"{regex!r}: {e}") from None
    override = _override(where, raw, rules, free_text=True)
    return Unlisted(
        display_name=_text(f"{where}.display_name", raw.get("display_name", "Other")),
        display_name_in_choices=_text(f"{where}.display_name_in_choices",
                                      raw.get("display_name_in_choices", "Other...")),
        pattern=pattern, message=_text(f"{where}.validation_message",
                                       raw.get("validation_message")),
        override=override)


def _override(where: str, raw: Mapping, rules: Rules, free_text: bool = False) -> Override:
    given = [k for k in OVERRIDE_KEYS if k in raw]
    if len(given) > 1:
        raise SpecError(where, "has both funicular_override and kubespawner_override: "
                        "use one")
    if not given:
        return Override(f"{where}.funicular_override", {})
    path = f"{where}.{given[0]}"
    values = raw[given[0]]
    if not isinstance(values, Mapping):
        raise SpecError(path, "must be a dict of FunicularSpawner settings")
    for key, value in values.items():
        if not isinstance(key, str) or key not in rules.settings:
            raise SpecError(path, f"unknown FunicularSpawner setting {key!r}")
        if key in rules.refused:
            raise SpecError(path, f"{key!r} cannot be set per profile: {rules.refused[key]}")
        if free_text and key in _NO_FREE_TEXT and _mentions_value(value):
            raise SpecError(path, f"{key!r} may not hold a user's free text ({VALUE})")
        if key == JOB_SETTING and not callable(value):
            job_keys(f"{path}.{key}", value)
        if rules.check is not None and not callable(value) and not has_callable(value):
            try:  # a sample for {value}: its type is what the check is about
                rules.check(key, substitute(value, "x") if free_text else value)
            except (ValueError, TypeError) as e:  # a trait's refusal: offer._as_trait
                raise SpecError(path, f"{key!r}: {e}") from None
    return Override(path, dict(values))


def job_keys(where: str, value: object) -> None:
    if not isinstance(value, Mapping):
        raise SpecError(where, f"must be a dict with keys from {', '.join(JOB_KEYS)}")
    unknown = sorted(map(str, set(value) - set(JOB_KEYS)))
    if unknown:
        raise SpecError(where, f"unknown keys {unknown}; allowed: {', '.join(JOB_KEYS)}")


def _mentions_value(value) -> bool:
    if isinstance(value, str):
        return VALUE in value
    if isinstance(value, Mapping):
        return any(_mentions_value(k) or _mentions_value(x) for k, x in value.items())
    if isinstance(value, list | tuple):
        return any(_mentions_value(x) for x in value)
    return callable(value)  # a callable may read the text: refused alike


def has_callable(value) -> bool:
    if isinstance(value, Mapping):
        return any(callable(x) or has_callable(x) for x in value.values())
    return False


_SLUG_RULE = ("letters and digits, in words joined by one '.', '_' or '-', at most "
              f"{_SLUG_MAX} characters")


def _slug(where: str, value: object) -> str:
    if not isinstance(value, str) or not _SLUG.fullmatch(value) or len(value) > _SLUG_MAX:
        raise SpecError(where, f"{value!r}: {_SLUG_RULE}")
    return value


def _keys(where: str, raw: object, allowed: set[str]) -> None:
    if not isinstance(raw, Mapping):
        raise SpecError(where, f"must be a dict, got {type(raw).__name__}")
    unknown = sorted(map(str, set(raw) - allowed))
    if unknown:
        raise SpecError(where, f"unknown keys {unknown}; allowed: {', '.join(sorted(allowed))}")


def _text(where: str, value: object, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise SpecError(where, "must be text" + (" (and is required)" if required else ""))
    return value


def _flag(where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise SpecError(where, f"must be True or False, got {value!r}")
    return value


# ------------------------------------------------------------------ a user's choice
def default_profile(profiles: tuple[ListedProfile, ...]) -> ListedProfile:
    return next(p for p in profiles if p.default)


def choose(profiles: tuple[ListedProfile, ...], user_options: Mapping) -> Selection:
    """The profile and choices ``user_options`` name, each checked: an unknown slug,
    option or choice, or free text that is not allowed or does not match, is a
    SpecError naming the field. Missing options get their default choice."""
    slug = user_options.get("profile")
    if slug is None:
        profile = default_profile(profiles)
    else:
        profile = next((p for p in profiles if isinstance(slug, str) and p.slug == slug), None)
        if profile is None:
            raise SpecError("profile", f"{slug!r} is not one of the offered profiles: "
                            f"{', '.join(p.slug for p in profiles)}")
    given = {k for k in user_options if isinstance(k, str) and k.startswith(OPTION_PREFIX)}
    known = {o.field for o in profile.options} | \
        {o.text_field for o in profile.options if o.unlisted is not None}
    unknown = sorted(given - known)
    if unknown:
        raise SpecError("user_options", f"unknown option(s) {unknown} for profile "
                        f"{profile.slug!r}; its options: {', '.join(sorted(known)) or 'none'}")
    picks = []
    for option in profile.options:
        if option.field in given and option.text_field in given:
            raise SpecError(option.field, f"give a choice or {option.text_field}, not both")
        if option.text_field in given:
            picks.append((option, option.unlisted.check(option.text_field,
                                                        user_options[option.text_field])))
            continue
        key = user_options.get(option.field, option.default)
        if key is None:
            raise SpecError(option.text_field, f"{option.display_name}: a value is needed")
        choice = option.choice(key) if isinstance(key, str) else None
        if choice is None:
            raise SpecError(option.field, f"{key!r} is not one of the choices: "
                            f"{', '.join(c.key for c in option.choices)}")
        picks.append((option, choice))
    return Selection(profile, tuple(picks))
