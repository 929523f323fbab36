#!/usr/bin/env python3
"""Fetch npm packages by the integrity pinned for them, for the apps stage.

    npm-fetch.py PINS DIR NAME...

For each NAME, the line "NAME VERSION INTEGRITY" of PINS (npm-packages.txt) says which
tarball: REGISTRY/NAME/-/NAME-VERSION.tgz is fetched into DIR/NAME.tgz only if its
SHA-512 is INTEGRITY ("sha512-BASE64", as npm's lockfiles write it), so a registry
or a mirror cannot hand the image other code. REGISTRY: $npm_config_registry, else
https://registry.npmjs.org/. Standard library only: it runs with Debian's python3
before there is any Node.js.
"""

import base64
import hashlib
import os
import sys
import time
import urllib.request

DEFAULT_REGISTRY = "https://registry.npmjs.org/"
TIMEOUT = 60  # seconds without data before a try is given up
TRIES = 3


def read_pins(text: str) -> dict[str, tuple[str, str]]:
    """NAME -> (VERSION, INTEGRITY) from the pins file's text."""
    pins = {}
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 3 or not words[2].startswith("sha512-"):
            raise ValueError(f"line {number}: want NAME VERSION sha512-INTEGRITY")
        pins[words[0]] = (words[1], words[2])
    return pins


def tarball_url(registry: str, name: str, version: str) -> str:
    """Where the registry keeps NAME@VERSION's tarball (npm's layout, scoped or not)."""
    base = name.rsplit("/", 1)[-1]
    return f"{registry.rstrip('/')}/{name}/-/{base}-{version}.tgz"


def fetch(url: str, integrity: str, out: str) -> None:
    """url into out, renamed into place only when its SHA-512 is the pinned one."""
    want = base64.b64decode(integrity.removeprefix("sha512-"), validate=True)
    tmp = out + ".part"
    digest = hashlib.sha512()
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response, open(tmp, "wb") as f:
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            f.write(chunk)
    if digest.digest() != want:
        os.unlink(tmp)
        raise ValueError(f"{url}: SHA-512 is not the pinned {integrity}")
    os.replace(tmp, out)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    pins_file, out_dir, names = argv[0], argv[1], argv[2:]
    with open(pins_file, encoding="utf-8") as f:
        pins = read_pins(f.read())
    registry = os.environ.get("npm_config_registry") or DEFAULT_REGISTRY
    os.makedirs(out_dir, exist_ok=True)
    for name in names:
        if name not in pins:
            print(f"npm-fetch: {name} is not pinned in {pins_file}", file=sys.stderr)
            return 1
        version, integrity = pins[name]
        url = tarball_url(registry, name, version)
        for attempt in range(1, TRIES + 1):
            try:
                fetch(url, integrity, os.path.join(out_dir, name.replace("/", "+") + ".tgz"))
                break
            except ValueError as e:  # the wrong bytes: no point in asking again
                print(f"npm-fetch: {e}", file=sys.stderr)
                return 1
            except OSError as e:
                print(f"npm-fetch: {url}: {e} (try {attempt} of {TRIES})", file=sys.stderr)
                if attempt == TRIES:
                    return 1
                time.sleep(2 * attempt)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
