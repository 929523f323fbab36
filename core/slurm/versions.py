"""Which of Slurm's JSON dialects a slurmrestd, or a Slurm command's ``--json``, speaks.

slurmrestd names its dialect in every path (``/slurm/v0.0.38/jobs``); a release serves
a few and drops old ones: 22.05 serves v0.0.36 to v0.0.38 (plus ``/slurmdb/`` ones of
the same numbers), 24.11 only v0.0.40 to v0.0.42. Neither can be assumed, so the REST
backend reads the paths a server lists in its own OpenAPI description (``GET
/openapi/v3``, served by both) and speaks the newest dialect it knows (``choose``).

The commands' JSON has no path to read: its ``meta`` says the release (22.05:
``meta.Slurm.release``; 23.02 and later: ``meta.slurm.release``) and, from 23.02 on,
the data parser that wrote it (``meta.plugin.data_parser``, "data_parser/v0.0.42").
22.05's commands write v0.0.38's shapes (``meta.plugin.type`` "openapi/v0.0.38").

Everything here is a pure function of what Slurm said.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import SlurmError

# the dialects Funicular reads and writes, newest (preferred) first: v0.0.38 is Slurm
# 22.05's; v0.0.40, v0.0.41 and v0.0.42 are the data parsers of 23.11, 24.05 and 24.11
# (24.11 serves all three), and share one family of shapes (``shapes40``)
KNOWN = ("v0.0.42", "v0.0.41", "v0.0.40", "v0.0.38")
# the data parser a release's commands write by default with a plain ``--json``
# (23.11: v0.0.40, 24.05: v0.0.41, 24.11: v0.0.42); releases not listed are read as
# text, where their JSON would be a dialect not checked here
COMMAND_PARSER = {(23, 11): "v0.0.40", (24, 5): "v0.0.41", (24, 11): "v0.0.42"}

_PATH = re.compile(r"^/(slurm|slurmdb)/(v\d+\.\d+\.\d+)/")
_VERSION = re.compile(r"v(\d+)\.(\d+)\.(\d+)")
_RELEASE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def key(version: str) -> tuple[int, int, int]:
    """"v0.0.42" -> (0, 0, 42), to order versions; (-1, -1, -1) for anything else."""
    m = _VERSION.fullmatch(version)
    return (int(m[1]), int(m[2]), int(m[3])) if m else (-1, -1, -1)


def spoken() -> str:
    """The known versions as the refusal names them, oldest first."""
    return ", ".join(sorted(KNOWN, key=key))


class UnknownVersion(SlurmError):
    """slurmrestd answered, in no dialect Funicular speaks: a configuration that cannot
    work (the hub stops at start), unlike a slurmrestd that is not up yet."""


@dataclass(frozen=True)
class Api:
    """What one slurmrestd is spoken to in: the version of its ``/slurm/`` paths, of
    its ``/slurmdb/`` paths (None where it serves none we know: no slurmdbd plugin
    loaded), and its Slurm release where its description says (24.11 does)."""

    url: str
    slurm: str
    slurmdb: str | None = None
    release: str | None = None


def served(spec: dict) -> tuple[set[str], set[str]]:
    """The versions of the ``/slurm/`` and of the ``/slurmdb/`` paths an OpenAPI
    description lists."""
    slurm: set[str] = set()
    slurmdb: set[str] = set()
    for path in spec.get("paths") or {}:
        m = _PATH.match(str(path))
        if m:
            (slurm if m[1] == "slurm" else slurmdb).add(m[2])
    return slurm, slurmdb


def newest_known(versions: Iterable[str]) -> str | None:
    versions = set(versions)
    return next((v for v in KNOWN if v in versions), None)


def spec_release(spec: dict) -> str | None:
    """24.11 puts its release into ``info.version`` ("Slurm-24.11.5&openapi/..."); 22.05
    puts a plugin's name there, which is no release."""
    info = spec.get("info")
    text = str(info.get("version") or "") if isinstance(info, dict) else ""
    m = re.match(r"Slurm-(\d+\.\d+\.\d+)", text)
    return m[1] if m else None


def choose(spec, url: str) -> Api:
    """The dialect to speak with the slurmrestd at ``url`` whose OpenAPI description is
    ``spec``: the newest version it serves that Funicular knows. SlurmError, naming
    what it serves, when there is none."""
    if not isinstance(spec, dict) or not isinstance(spec.get("paths"), dict):
        raise UnknownVersion(f"slurmrestd at {url} answered /openapi/v3 with no OpenAPI "
                         "description (no paths)")
    slurm, slurmdb = served(spec)
    chosen = newest_known(slurm)
    if chosen is None:
        found = ", ".join(sorted(slurm, key=key))
        raise UnknownVersion(f"slurmrestd at {url} serves {found} only; Funicular speaks "
                         f"{spoken()}" if found else
                         f"slurmrestd at {url} serves no /slurm/ API version (no "
                         f"/slurm/vX.Y.Z/ paths); Funicular speaks {spoken()}")
    # the accounting paths in the same dialect where served, or the newest known
    db = chosen if chosen in slurmdb else newest_known(slurmdb)
    return Api(url=url, slurm=chosen, slurmdb=db, release=spec_release(spec))


# ------------------------------------------------------------------ the commands' JSON
def release(meta) -> tuple[int, int, int] | None:
    """The Slurm release a JSON answer's ``meta`` names: 22.05's ``meta.Slurm`` or
    later releases' ``meta.slurm``, by its ``release`` string or its version parts."""
    if not isinstance(meta, dict):
        return None
    slurm = meta.get("slurm") if isinstance(meta.get("slurm"), dict) else meta.get("Slurm")
    if not isinstance(slurm, dict):
        return None
    found = parse_release(str(slurm.get("release") or ""))
    if found:
        return found
    v = slurm.get("version") if isinstance(slurm.get("version"), dict) else {}
    try:  # 22.05 writes integers, 24.11 strings
        return int(v["major"]), int(v["minor"]), int(v.get("micro") or 0)
    except (KeyError, TypeError, ValueError):
        return None


def parse_release(text: str) -> tuple[int, int, int] | None:
    """"24.11.5", "slurm 22.05.8" or "slurm-wlm 24.11.5" (``scontrol --version``)."""
    m = _RELEASE.search(text or "")
    return (int(m[1]), int(m[2]), int(m[3] or 0)) if m else None


def data_parser(meta) -> str | None:
    """The dialect a JSON answer is written in, from its ``meta``: the data parser
    (23.02 and later) or 22.05's openapi plugin; None when it does not say."""
    plugin = meta.get("plugin") if isinstance(meta, dict) else None
    if not isinstance(plugin, dict):
        return None
    for field in ("data_parser", "type"):
        m = _VERSION.search(str(plugin.get(field) or ""))
        if m:
            return m[0]
    return None


def command_parser(rel: tuple[int, int, int] | None) -> str | None:
    """The dialect a plain ``--json`` of this release's commands writes, where it is one
    Funicular reads; None: read the release's text output instead."""
    return COMMAND_PARSER.get(rel[:2]) if rel else None
