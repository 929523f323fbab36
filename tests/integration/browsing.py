"""What the browser tests share: headless Chromium driven by Playwright, where the
screenshots go, and the hub's login form. The fixtures are in conftest.py.

FUNICULAR_SCREENSHOTS=docs/images writes the screenshots into the docs; otherwise
they go to the test's temporary directory.
"""

import os
import pathlib
import shutil
from collections.abc import Iterator

import pytest

from .harness import REPO, passwords

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def launch_chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed (deploy/local/up installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--no-first-run"])
        try:
            yield b
        finally:
            b.close()


def screenshot_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    out = os.environ.get("FUNICULAR_SCREENSHOTS")
    path = (REPO / out) if out else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


def login(page, hub, user: str) -> None:
    """Through the hub's login form, with the user's PAM password."""
    page.goto(hub.url + "hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", passwords()[user])
    page.click("#login_submit")
    page.wait_for_url("**/hub/**")
