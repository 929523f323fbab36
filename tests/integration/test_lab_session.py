"""The session in JupyterLab and Notebook 7 (lab/src/session): the status item shows
the Slurm job, its node and the time left, counting down; in a two-minute job the
notice with the end time and "Save all" comes at once (it is within the 15 minutes
ahead), and the walltime signal's notice when Slurm sends it (90 s ahead here)."""

import re
import time

from .browsing import login

STATUS = "#funicular-session-status[data-job-id]:not([data-job-id=''])"
LEFT = re.compile(r"^Job (\d+) · (\S+) · (\d+):(\d\d) left$")


def seconds_left(text: str) -> int:
    m = LEFT.match(text)
    assert m, f"the status item says {text!r}"
    return int(m.group(3)) * 60 + int(m.group(4))


def test_countdown_and_walltime_notices_in_jupyterlab_and_notebook7(hub, browser, shots):
    hub.spawn("alice", "twomin", {"profile": "two-minutes"})
    info = None
    # the end time is written in the browser's locale: en-GB writes 17:03
    page = browser.new_page(viewport={"width": 1300, "height": 800}, locale="en-GB")
    page.set_default_timeout(60_000)
    try:
        login(page, hub, "alice")
        hub.wait_ready("alice", "twomin")
        info = hub.server_get("alice", "funicular/api/info", "twomin").json()
        page.goto(hub.url + "user/alice/twomin/lab?reset")
        status = page.wait_for_selector(STATUS, timeout=120_000)
        first = status.inner_text()
        m = LEFT.match(first)
        assert m and m.group(1) == info["slurm_job_id"] and m.group(2) == info["slurm_node"]
        assert 0 < seconds_left(first) <= 120
        time.sleep(2.5)
        assert seconds_left(status.inner_text()) < seconds_left(first)  # it counts down

        end = time.strftime("%H:%M", time.localtime(info["job_end_time"]))
        ahead = page.wait_for_selector(".Toastify__toast:has-text('Save your work.')")
        assert f"ends at {end}" in ahead.inner_text() and info["slurm_job_id"] in ahead.inner_text()
        assert ahead.query_selector("button:has-text('Save all')")
        page.screenshot(path=shots / "lab-walltime-notice.png")

        # the hub asks Slurm for the signal 90 s ahead: about 30 s into this job
        signal = page.wait_for_selector(
            ".Toastify__toast:has-text(\"Slurm's walltime signal arrived\")", timeout=100_000)
        assert f"ends at {end}" in signal.inner_text()
        assert hub.server_get("alice", "funicular/api/info",
                              "twomin").json()["walltime_warning_at"]

        # Notebook 7 has no status bar: the item is in its top bar
        page.goto(hub.url + "user/alice/twomin/tree")
        item = page.wait_for_selector(STATUS, timeout=60_000)
        assert LEFT.match(item.inner_text())
        page.screenshot(path=shots / "notebook7-session.png")
    finally:
        page.close()
        hub.stop_server("alice", "twomin")
