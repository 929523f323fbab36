"""The lab extension's routes (lab/src/routes.ts) are the server extension's
(funicular.extension.routes): TypeScript cannot import the Python table, so this test
is where the two sides agree."""

import re
from pathlib import Path

from funicular.core.hubapi import SERVER_API
from funicular.extension.routes import ROUTES

ROUTES_TS = Path(__file__).parents[3] / "lab" / "src" / "routes.ts"
SAMPLE = {"JOB": "j0123456789ab", "TRANSFER": "0123456789ab"}


def _ts() -> str:
    return ROUTES_TS.read_text()


def _patterns() -> list[str]:
    return [pattern for routes in ROUTES.values() for pattern, _ in routes]


def _served(path: str) -> bool:
    return any(re.fullmatch(pattern, path) for pattern in _patterns())


def _ts_paths() -> dict[str, str]:
    """``name: `${SERVER_API}/x``` entries of ROUTES, with SERVER_API filled in."""
    body = re.search(r"export const ROUTES = \{(.*?)\} as const;", _ts(), re.S).group(1)
    entries = re.findall(r"(\w+): `\$\{SERVER_API\}/([^`]*)`", body)
    return {name: f"{SERVER_API}/{rest}" for name, rest in entries}


def test_the_api_prefix_is_the_servers():
    assert re.search(rf"export const SERVER_API = '{re.escape(SERVER_API)}';", _ts())


def test_every_route_the_front_end_uses_is_served():
    paths = _ts_paths()
    assert len(paths) >= 10, paths  # the parse found the table
    assert {name: path for name, path in paths.items() if not _served(path)} == {}


def test_a_path_the_server_does_not_serve_is_caught():
    assert not _served(f"{SERVER_API}/jobz")


def test_per_job_and_per_transfer_routes_are_served():
    ts = _ts()
    actions = re.findall(r"'(\w+)'", re.search(r"action\?: ([^)]*)\)", ts).group(1))
    assert actions == ["cancel", "logs", "outputs"]
    for action in actions:
        assert _served(f"{SERVER_API}/jobs/{SAMPLE['JOB']}/{action}")
    for action in ("cancel", "resume"):
        assert _served(f"{SERVER_API}/transfers/{SAMPLE['TRANSFER']}/{action}")
    assert _served(f"{SERVER_API}/jobs/{SAMPLE['JOB']}")
    assert _served(f"{SERVER_API}/transfers/{SAMPLE['TRANSFER']}")
