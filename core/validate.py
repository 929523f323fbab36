"""Small validators for values that end up in argv lists or Slurm job fields.

They are strict on purpose: a value that passes can be handed to Slurm or a
container runtime without quoting concerns, and a value that fails produces a
message naming the field and the rule.
"""

import re
import unicodedata

from .errors import SpecError

# Slurm names (partitions, accounts, reservations, QOS): letters, digits, _ . -
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# Linux user names as useradd accepts them by default
# a site's user names: letters of either case, digits, "_", ".", "-" and "@" (sssd's
# fully qualified names), never starting with "-" or "." (an option, a hidden or relative
# path); see username() for why each refusal
_USER_CHARS = re.compile(r"[A-Za-z0-9_.@-]")
USER_MAX = 64
# a hostname or dotted IPv4 address
_LABEL = r"[A-Za-z0-9][A-Za-z0-9-]{0,62}"
_HOST = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")
_ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# Slurm's --array: "0-9", "1,3,5", "0-99:2", with an optional "%4" (at most 4 at once)
# ([0-9], not \d: \d and str.isdigit() take other scripts' digits and superscripts too)
_RANGE = r"[0-9]{1,5}(?:-[0-9]{1,5}(?::[0-9]{1,5})?)?"
_ARRAY = re.compile(rf"({_RANGE}(?:,{_RANGE}){{0,63}})(?:%([0-9]{{1,5}}))?", re.ASCII)
# what ends a line for someone (str.splitlines(), editors, terminals) or controls one
_LINE_SEPARATORS = "\u2028\u2029"


def name(field: str, value: object) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise SpecError(field, f"{value!r} is not a valid name (letters, digits, '_', '.', '-'; "
                        "at most 64 characters, starting with a letter or digit)")
    return value


def username(field: str, value: object) -> str:
    """Any name a site's accounts can have (``jane.doe``, ``1stuser``, ``JDoe``,
    ``jdoe@ad``), refused only with the reason: it goes into argv (sudo, runuser,
    Slurm), paths and Slurm comments, so no option, separator or path part."""
    if not isinstance(value, str) or not value:
        raise SpecError(field, f"{value!r} is not a valid user name: empty or not text")
    bad = sorted({c for c in value if not _USER_CHARS.fullmatch(c)})
    if bad:
        raise SpecError(field, f"{value!r} is not a valid user name: it contains "
                        f"{', '.join(map(repr, bad))} (letters, digits, '_', '.', '-' "
                        "and '@' only)")
    if value[0] in "-.":
        raise SpecError(field, f"{value!r} is not a valid user name: it starts with "
                        f"{value[0]!r} (read as an option or a hidden path)")
    if value.isdigit():
        raise SpecError(field, f"{value!r} is not a valid user name: all digits, which "
                        "tools read as a uid")
    if len(value) > USER_MAX:
        raise SpecError(field, f"{value!r} is not a valid user name: longer than "
                        f"{USER_MAX} characters")
    return value


def hostname(field: str, value: object) -> str:
    if not isinstance(value, str) or not _HOST.fullmatch(value):
        raise SpecError(field, f"{value!r} is not a valid host name or IPv4 address")
    return value


def integer(field: str, value: object, lo: int, hi: int) -> int:
    # bool is an int subclass: refuse it, as a form would never mean True for "2"
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(field, f"{value!r} is not a whole number")
    if not lo <= value <= hi:
        raise SpecError(field, f"{value} is outside the allowed range {lo}..{hi}")
    return value


def path(field: str, value: object) -> str:
    """An absolute path without control characters or '..' components."""
    if not isinstance(value, str) or not value.startswith("/"):
        raise SpecError(field, f"{value!r} is not an absolute path")
    if any(ord(c) < 32 or ord(c) == 127 for c in value) or "/../" in value + "/":
        raise SpecError(field, f"{value!r} contains control characters or '..'")
    if len(value) > 4096:
        raise SpecError(field, "path is longer than 4096 characters")
    return value


def is_env_key(value: object) -> bool:
    return isinstance(value, str) and bool(_ENV_KEY.fullmatch(value))


def env_key(field: str, value: object) -> str:
    if not isinstance(value, str) or not _ENV_KEY.fullmatch(value):
        raise SpecError(field, f"{value!r} is not a valid environment variable name")
    return value


def env_value(field: str, value: object) -> str:
    """A value for a KEY=VALUE line: no control characters (C0, DEL, C1: newlines, NUL,
    \\v, \\f, \\x1c-\\x1e, \\x85...) and no Unicode line or paragraph separator."""
    if not isinstance(value, str):
        raise SpecError(field, "environment values must be strings")
    for c in value:
        if unicodedata.category(c) == "Cc" or c in _LINE_SEPARATORS:
            raise SpecError(field, f"environment values may not contain control characters "
                            f"or line separators ({c!r})")
    return value


def digits(field: str, value: object, max_len: int = 19) -> int:
    """A whole number written in ASCII digits 0-9 only ("٣" and "³" are digits to
    str.isdigit() and \\d)."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() \
            or not 0 < len(value) <= max_len:
        raise SpecError(field, f"{value!r} is not a whole number (digits 0-9)")
    return int(value)


def array(field: str, value: object) -> str:
    """A Slurm job array range (sbatch --array)."""
    if not isinstance(value, str) or not (m := _ARRAY.fullmatch(value)):
        raise SpecError(field, f"{value!r} is not an array range such as '0-9', '1,3,5', "
                        "'0-99:2' or '0-99%10'")
    for part in m.group(1).split(","):
        lo, _, rest = part.partition("-")
        hi, _, step = rest.partition(":")
        if rest and int(hi) < int(lo):
            raise SpecError(field, f"{part!r} runs backwards")
        if step and int(step) == 0:
            raise SpecError(field, f"{part!r} has a step of 0")
    if m.group(2) is not None and int(m.group(2)) == 0:
        raise SpecError(field, "'%0' would never run a task")
    return value
