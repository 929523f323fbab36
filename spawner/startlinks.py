"""Start links: a server started from a URL that carries the spawn form's fields, and
the home page's "Start again with the same settings".

JupyterHub starts the logged-in user's server on ``GET /hub/spawn[/USER[/SERVER]]``
with a query (``?opt-profile=mc-small``): it takes ``opt-`` off each key and hands
the fields, as lists of strings like form data, to ``Spawner.options_from_query``.
FunicularSpawner reads them with the form's own function and checks the choice as the
form's is checked (offer.py). This module is the pure part around it: the query's
fields checked as fields (a key the form does not have, a field given twice, an
advanced field without ``mode=advanced``, another profile's option: refused naming
the field, where the form would silently ignore them), and the way back, from the
options a server last started with (``accepted_options`` in its state) to the form's
fields, a start URL and a summary in words, for the home page.
"""

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlencode

from funicular.core.errors import SpecError

from .options import ADVANCED_KEYS
from .profilelist import OPTION_PREFIX, UNLISTED_SUFFIX

QUERY_PREFIX = "opt-"  # JupyterHub's prefix of a spawn query's fields
MODES = ("profile", "advanced")  # the form's panes (its "mode" radio)
# JupyterHub's own query arguments of /hub/spawn, never the spawner's
RESERVED = ("next", "display_name")
_PLAIN = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_WORDS = {"partition": "partition {}", "account": "account {}", "nodes": "{} node(s)",
          "cpus": "{} CPU(s)", "memory_mb": "{} MB", "gpus": "{} GPU(s)",
          "minutes": "{} min", "reservation": "reservation {}", "image": "image {}"}


def _field(key: object) -> str:
    """A query's key as an error names it (a hostile one as a short repr)."""
    return key if isinstance(key, str) and _PLAIN.fullmatch(key) else repr(str(key)[:64])


def check_query(query: Mapping[str, list[str]], *, dropped: Iterable[str] = ()) -> None:
    """Refuse (SpecError naming the field) a query whose fields the form would not
    read as the link means them; their values are options.from_form's to check.
    ``dropped``: keys JupyterHub left out (without ``opt-`` among keys with it)."""
    dropped = list(dropped)
    if dropped:
        key = _field(dropped[0])
        raise SpecError(key, f"has no {QUERY_PREFIX!r} prefix while other fields have "
                        f"one, so it would be ignored: write {QUERY_PREFIX}{key}")
    for key, values in query.items():
        if not isinstance(values, list) or len(values) != 1:
            count = len(values) if isinstance(values, list) else "no"
            raise SpecError(_field(key), f"given {count} times: give it once")
    profile, mode = _one(query, "profile"), _one(query, "mode")
    if mode is not None and mode not in MODES:
        raise SpecError("mode", f"{mode!r} is not one of {', '.join(MODES)}")
    own = f"{OPTION_PREFIX}{profile}--" if profile else None
    for key in query:
        if key in ("profile", "mode"):
            continue
        if key in ADVANCED_KEYS:
            if mode != "advanced":
                raise SpecError(key, "is a field of the advanced tab: add "
                                f"{QUERY_PREFIX}mode=advanced")
        elif isinstance(key, str) and key.startswith(OPTION_PREFIX):
            if key.endswith(UNLISTED_SUFFIX):
                # free text may name an image or a command: a link from anywhere (a
                # page of another site, a chat) must not start that as the user
                raise SpecError(_field(key), "is free text, which a start link cannot "
                                "carry: type it on the start form")
            if own is None or not key.startswith(own):
                raise SpecError(_field(key), "is not an option of the chosen profile "
                                f"({profile or 'none given'}): a profile's options are "
                                f"{OPTION_PREFIX}PROFILE--OPTION, with profile=PROFILE")
        else:
            raise SpecError(_field(key), "is not a field of the spawn form: profile, mode, "
                            f"{', '.join(ADVANCED_KEYS)}, {OPTION_PREFIX}PROFILE--OPTION")


def _one(query: Mapping, key: str) -> str | None:
    values = query.get(key)
    return values[0].strip() if values and isinstance(values[0], str) else None


def dropped_fields(handler) -> list[str]:
    """The keys of the spawn request's query that JupyterHub drops: those without
    ``opt-`` when some have it (it logs a warning; the link would mean them)."""
    args = getattr(getattr(handler, "request", None), "query_arguments", None)
    if not isinstance(args, Mapping):
        return []
    keys = [k for k in args if k not in RESERVED]
    if not any(k.startswith(QUERY_PREFIX) for k in keys):
        return []
    return sorted(k for k in keys if not k.startswith(QUERY_PREFIX))


# ------------------------------------------------------------------ the way back
def form_fields(options: object) -> list[tuple[str, str]] | None:
    """A server's user_options as the spawn form's fields (what options.from_form reads
    back to the same options); None when they cannot be said so (empty: the default,
    which a link without fields cannot ask for; or not the form's shape)."""
    if not isinstance(options, Mapping) or not options:
        return None
    profile = options.get("profile")
    if profile is not None and not _text(profile):
        return None
    out = [("profile", profile)] if profile is not None else []
    advanced = []
    for key, value in options.items():
        if not isinstance(key, str) or not _text(value):
            return None
        if key in ADVANCED_KEYS:
            advanced.append((key, str(value)))
        elif key.endswith(UNLISTED_SUFFIX):
            return None  # free text: links cannot carry it (check_query)
        elif key.startswith(OPTION_PREFIX) and profile and key != OPTION_PREFIX:
            # the form names an option with its profile's slug: OPTION_PREFIX slug--name
            out.append((f"{OPTION_PREFIX}{profile}--{key[len(OPTION_PREFIX):]}", value))
        elif key != "profile":
            return None
    if advanced:
        out += [("mode", "advanced"), *advanced]
    return out


def _text(value: object) -> bool:
    """A value a form field carries as it is (from_form strips, and reads digits)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and value == value.strip() and value != ""


def start_url(hub_base: str, options: object, *, user: str = "", server: str = ""
              ) -> str | None:
    """The URL that starts a server with ``options`` through the form's checks: for
    the default server ``HUB/spawn?opt-...`` (whoever opens it starts their own);
    a named server's needs its user (``HUB/spawn/USER/SERVER?opt-...``)."""
    fields = form_fields(options)
    if fields is None:
        return None
    path = f"{hub_base.rstrip('/')}/spawn"
    if server:
        path += f"/{quote(user, safe='')}/{quote(server, safe='')}"
    return f"{path}?{urlencode([(QUERY_PREFIX + k, v) for k, v in fields])}"


def summary(options: Mapping) -> str:
    """The options in words: "profile mc-small", "profile gpu (image: torch)",
    "partition mc, 2 CPU(s), 60 min"."""
    profile = options.get("profile")
    picks = [f"{k[len(OPTION_PREFIX):].removesuffix(UNLISTED_SUFFIX)}: {v}"
             for k, v in options.items() if isinstance(k, str) and k.startswith(OPTION_PREFIX)]
    parts = []
    if profile is not None:
        parts.append(f"profile {profile}" + (f" ({', '.join(picks)})" if picks else ""))
    advanced = [_WORDS[k].format(options[k]) for k in ADVANCED_KEYS if k in options]
    if advanced:
        parts.append(("advanced: " if parts else "") + ", ".join(advanced))
    return "; ".join(parts)


def start_again(user) -> list[dict]:
    """For ``c.JupyterHub.template_vars`` (called with the current user): each of the
    user's servers that is not running and has settings a start accepted, with its
    start URL and a summary. Only the user's own state is read."""
    if user is None or not hasattr(user, "all_spawners"):
        return []
    hub = (getattr(user, "settings", None) or {}).get("hub")
    hub_base = getattr(hub, "base_url", None) or "/hub/"
    out = []
    for spawner in user.all_spawners():
        orm_spawner = getattr(spawner, "orm_spawner", spawner)
        if orm_spawner.server is not None or getattr(spawner, "active", False):
            continue
        options = (orm_spawner.state or {}).get("accepted_options")
        url = start_url(hub_base, options, user=user.name, server=orm_spawner.name)
        if url is not None:
            out.append({"server": orm_spawner.name, "url": url, "summary": summary(options)})
    return out
