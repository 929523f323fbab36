"""The Jobs panel in JupyterLab and Notebook 7 (lab/src/jobs): alice opens it in the
left side bar, submits a job from its New job form (its choices from jobs/site), sees
it run on a node with its log growing in the panel (markup in the output stays text),
cancels it and sees CANCELLED; a value the server refuses comes back in its words
next to the field it names, and nothing is submitted; a second job ends FAILED with
its exit code, its files are listed and one opens in JupyterLab; "Submit again" sends
the same request. In Notebook 7 the panel opens from the command palette."""

import json
import re

from .browsing import login
from .harness import home, run

PANEL = "#funicular-jobs"
FORM = "#funicular-new-job"
MESSAGE = f"{PANEL} .funicular-jobs-message"
LOG = "#funicular-job-log"
JOBS = "funicular/api/jobs"
NAME = "funitest-lab"  # the stale-job sweep of conftest knows this prefix
# about 90 s of numbered lines, with markup that must show as text
LONG = ("i=0; while [ $i -lt 90 ]; do i=$((i+1)); echo \"line $i <b>bold</b>\"; "
        "sleep 1; done")
SHORT = "echo finished > result.txt; echo bye; exit 3"


def row(job_id: str) -> str:
    return f"{PANEL} .funicular-job-row[data-job-id='{job_id}']"


def submitted(page, before: str) -> str:
    """The id in the panel's "Submitted j… (Slurm job N)" once it differs from ``before``."""
    page.wait_for_function(
        """([sel, before]) => {
            const m = document.querySelector(sel);
            return m && m.textContent.startsWith('Submitted j') && m.textContent !== before;
        }""", arg=[MESSAGE, before])
    return page.text_content(MESSAGE).split()[1]


def message(page) -> str:
    return page.text_content(MESSAGE) or ""


def open_form(page) -> None:
    """The New job form, open, with the site's choices in it."""
    if not page.is_visible(FORM):
        page.click(f"{PANEL} .funicular-new-job-toggle")
    page.wait_for_selector(FORM, state="visible")
    page.wait_for_selector(f"{FORM} select[name=image] option[value=notebook]", state="attached")


def cancel_leftovers(hub, token: str) -> None:
    """No job of this test may outlive it (conftest checks alice's jobs after each test)."""
    if not token:
        return
    r = hub.as_user("GET", "alice", JOBS, token)
    if r.status_code != 200:
        return
    for job in r.json().get("jobs", []):
        if not job["final"] and job["backend_id"] and job["name"].startswith(NAME):
            run("scancel", job["backend_id"], check=False)


def test_jobs_panel_in_jupyterlab(hub, browser, shots):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)

    def close_dialog(dialog) -> None:
        # a JupyterLab dialog that opens on its own would cover the panel: say what it said
        print(f"JupyterLab dialog closed: {dialog.inner_text()[:300]!r}")
        page.keyboard.press("Escape")
    page.add_locator_handler(page.locator(".jp-Dialog"), close_dialog)
    token = ""

    def api(method, path="", **kw):
        return hub.as_user(method, "alice", f"{JOBS}{path}", token, **kw)

    try:
        login(page, hub, "alice")  # before the spawn: the hub knows alice once she logged in
        hub.spawn("alice")
        hub.wait_ready("alice")
        token = hub.user_token("alice")
        site = api("GET", "/site").json()
        assert "notebook" in site["images"] and "mc" in site["partitions"], site

        page.goto(hub.url + "user/alice/lab/workspaces/funicular-jobs-test?reset")
        page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
        # in the left side bar, beside the file browser
        page.click(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='funicular-jobs']")
        page.wait_for_selector(f"{PANEL} .funicular-new-job-toggle", state="visible")

        # the form's choices are the site's
        open_form(page)
        images = page.eval_on_selector_all(f"{FORM} select[name=image] option",
                                           "os => os.map(o => o.value)")
        assert sorted(images) == sorted(site["images"])
        partitions = page.eval_on_selector_all(f"{FORM} select[name=partition] option",
                                               "os => os.map(o => o.value)")
        assert partitions == site["partitions"]

        # a long job: it runs, its log grows in the panel
        page.select_option(f"{FORM} select[name=image]", "notebook")
        page.select_option(f"{FORM} select[name=partition]", "mc")
        page.fill(f"{FORM} input[name=command]", f"sh -c '{LONG}'")
        page.fill(f"{FORM} input[name=name]", f"{NAME}-long")
        page.fill(f"{FORM} input[name=minutes]", "5")
        page.screenshot(path=shots / "lab-jobs-new.png")
        page.click("#funicular-new-job-submit")
        long_id = submitted(page, message(page))
        job = api("GET", f"/{long_id}").json()
        # the command line was split as a shell splits words, and nothing more
        assert job["request"]["command"] == ["sh", "-c", LONG], job["request"]
        assert job["request"]["minutes"] == 5 and job["name"] == f"{NAME}-long"

        page.wait_for_selector(f"{row(long_id)}[data-state=RUNNING]", timeout=120_000)
        page.wait_for_function(
            "sel => /^mc\\d+$/.test(document.querySelector(sel).textContent)",
            arg=f"{row(long_id)} .funicular-job-nodes")
        assert "elapsed" in page.text_content(f"{row(long_id)} .funicular-job-time")
        # the new job is the one shown: its log, followed as it grows
        page.wait_for_selector(f"{PANEL} .funicular-job-detail[data-job-id='{long_id}']")
        page.wait_for_function("sel => document.querySelector(sel).textContent.includes("
                               "'line 3 ')", arg=LOG, timeout=90_000)
        grown = len(page.text_content(LOG))
        page.wait_for_function("([sel, n]) => document.querySelector(sel).textContent.length"
                               " > n", arg=[LOG, grown], timeout=30_000)
        assert "line 1 <b>bold</b>" in page.text_content(LOG)
        assert page.locator(f"{LOG} b").count() == 0  # the job's output is text, not HTML
        page.locator(LOG).scroll_into_view_if_needed()
        page.screenshot(path=shots / "lab-jobs-panel.png")

        page.click(f"{PANEL} .funicular-job-detail .funicular-job-cancel")
        page.wait_for_selector(f"{row(long_id)}[data-state=CANCELLED]", timeout=60_000)
        assert page.text_content(f"{row(long_id)} .funicular-job-state") == "CANCELLED"
        assert page.is_disabled(f"{PANEL} .funicular-job-detail .funicular-job-cancel")
        assert api("GET", f"/{long_id}").json()["state"] == "CANCELLED"

        # a value the server refuses: its message next to the field, nothing submitted
        before = [j["id"] for j in api("GET").json()["jobs"]]
        open_form(page)
        page.fill(f"{FORM} input[name=nodes]", "0")
        page.click("#funicular-new-job-submit")
        error = page.wait_for_selector(f"{FORM} .funicular-field-error[data-field=nodes]"
                                       ":not(:empty)")
        assert re.match(r"nodes: 0 is outside the allowed range 1\.\.\d+", error.inner_text()), \
            error.inner_text()
        assert page.get_attribute(f"{FORM} input[name=nodes]", "aria-invalid") == "true"
        assert page.text_content(f"{FORM} .funicular-form-error") == ""
        assert [j["id"] for j in api("GET").json()["jobs"]] == before
        page.screenshot(path=shots / "lab-jobs-error.png")

        # a short job that fails: its state, its exit code, its files
        page.fill(f"{FORM} input[name=nodes]", "1")
        page.fill(f"{FORM} input[name=command]", f"sh -c '{SHORT}'")
        page.fill(f"{FORM} input[name=name]", f"{NAME}-short")
        page.click("#funicular-new-job-submit")
        short_id = submitted(page, message(page))
        assert page.text_content(f"{FORM} .funicular-field-error[data-field=nodes]") == ""
        page.wait_for_selector(f"{row(short_id)}[data-final=true]", timeout=120_000)
        assert page.text_content(f"{row(short_id)} .funicular-job-state") == "FAILED"
        # the exit code comes from accounting, which slurmdbd may record a moment later
        try:
            page.wait_for_selector(f"{row(short_id)} .funicular-job-exit:has-text('exit 3:0')",
                                   timeout=90_000)
        except Exception:
            raise AssertionError(f"the row says {page.text_content(row(short_id))!r}; the API "
                                 f"{api('GET', f'/{short_id}').json()}") from None
        page.wait_for_function("sel => document.querySelector(sel).textContent.includes('bye')",
                               arg=LOG)
        short = api("GET", f"/{short_id}").json()
        page.wait_for_selector(f"{PANEL} .funicular-job-output"
                               f"[data-path='slurm-{short['backend_id']}.log']")
        output = f"{PANEL} .funicular-job-output[data-path='result.txt'] a"
        page.wait_for_selector(output)
        page.click(output)  # opens in JupyterLab: the job's directory is under the home
        page.wait_for_selector(".lm-DockPanel-tabBar .lm-TabBar-tab:has-text('result.txt')")
        page.wait_for_selector(".jp-FileEditor .cm-content:has-text('finished')")

        # Submit again: the same request, a new job
        page.click(f"{row(short_id)}")
        page.click(f"{PANEL} .funicular-job-detail .funicular-job-resubmit")
        again_id = submitted(page, message(page))
        assert again_id != short_id
        page.wait_for_selector(row(again_id))
        assert api("GET", f"/{again_id}").json()["request"] == short["request"]
        page.wait_for_selector(f"{row(again_id)}[data-final=true]", timeout=120_000)
    finally:
        cancel_leftovers(hub, token)
        page.close()


def test_jobs_panel_in_notebook7(hub, browser, shots):
    nb = home("alice") / "jobs-panel-test.ipynb"
    nb.write_text(json.dumps({
        "cells": [{"cell_type": "markdown", "metadata": {}, "id": "md", "source": "# Jobs"}],
        # a kernel named, or Notebook 7 asks for one in a dialog over everything
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}))
    run("chown", "alice:alice", nb)
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.set_default_timeout(60_000)
    try:
        login(page, hub, "alice")
        hub.spawn("alice")
        hub.wait_ready("alice")
        page.goto(hub.url + f"user/alice/notebooks/{nb.name}")
        page.wait_for_selector(".jp-Notebook", timeout=120_000)
        # the command palette has the panel's command
        page.keyboard.press("Control+Shift+C")
        try:
            page.wait_for_selector(".lm-CommandPalette input", state="visible", timeout=10_000)
            page.keyboard.type("Open the Jobs panel")
            page.keyboard.press("Enter")
        except Exception:  # no palette: Notebook 7's own View > Left Sidebar > Show Jobs
            page.click("li.lm-MenuBar-item:has-text('View')")
            page.hover(".lm-Menu-item:has-text('Left Sidebar')")
            page.click(".lm-Menu-item:has-text('Show Jobs')")
        page.wait_for_selector(PANEL, state="visible")
        page.wait_for_selector(f"{PANEL}[data-connected=true]")
        open_form(page)
        page.screenshot(path=shots / "notebook7-jobs.png")
    finally:
        page.close()
        nb.unlink(missing_ok=True)
