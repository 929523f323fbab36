"""JobMonitor: a live table of the user's jobs, with cancel buttons and a log viewer
that follows the output. It listens to the server's change stream in a background
thread: nothing in the kernel polls Slurm. Widgets are only ever changed on the
kernel's own event loop (the thread hands each change over), as comm messages from
other threads may reach the browser late or not at all."""

import asyncio
import html
import threading
import time

import ipywidgets as w

from . import jobs_client as jobs
from .view import row

_COLUMNS = ("id", "name", "state", "reason", "time", "nodes", "data")


class JobMonitor(w.VBox):
    def __init__(self, follow_logs: bool = True, **kwargs):
        self._jobs: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.table = w.VBox()
        self._header = w.HBox([w.HTML(f"<b>{c}</b>", layout=w.Layout(width=_width(c)))
                               for c in _COLUMNS])
        self._rows: dict[str, _Row] = {}
        self.log_title = w.HTML()
        self.log_view = w.Textarea(layout=w.Layout(width="100%", height="14em"), disabled=True)
        self._following: str | None = None
        self._follow_logs = follow_logs
        self.status = w.HTML()
        super().__init__([self.table, self.status, self.log_title, self.log_view], **kwargs)
        self.add_class("funicular-job-monitor")
        try:
            self._loop = asyncio.get_running_loop()  # the kernel's, running this cell
        except RuntimeError:
            self._loop = None  # plain Python: change widgets from the threads
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    # ------------------------------------------------------------------ state
    def state_of(self, job_id: str) -> str | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job and job["state"]

    def close(self):
        self._stop.set()
        super().close()

    def _post(self, fn, *args) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)
        else:
            fn(*args)

    def _set(self, widget, value) -> None:
        self._post(setattr, widget, "value", value)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                for name, data in jobs.events(timeout=60):
                    if self._stop.is_set():
                        return
                    with self._lock:
                        if name == "snapshot":
                            self._jobs = {j["id"]: j for j in data["jobs"]}
                        elif name == "job":
                            self._jobs[data["job"]["id"]] = data["job"]
                    self._post(self._render)
                    self._set(self.status, "")
            except Exception as e:  # the server restarting, a proxy timeout: reconnect
                self._set(self.status, "<i>reconnecting to the job service "
                          f"({html.escape(str(e))})</i>")
                time.sleep(2)

    def _tick(self) -> None:
        while not self._stop.wait(5):  # elapsed and remaining times move on
            self._post(self._render)

    # ------------------------------------------------------------------ view
    def _render(self) -> None:
        """Bring the table up to date: one row of widgets per job, made once and then
        changed in place (each new widget is a message to the browser)."""
        now = time.time()
        with self._lock:
            rows = [row(j, now) for j in sorted(self._jobs.values(),
                                                key=lambda j: -j["submitted"])][:50]
        for r in rows:
            if r["id"] not in self._rows:
                self._rows[r["id"]] = _Row(r["id"], self.show_logs)
            self._rows[r["id"]].update(r)
        children = (self._header, *(self._rows[r["id"]].box for r in rows))
        if tuple(self.table.children) != children:
            self.table.children = children

    def show_logs(self, job_id: str) -> None:
        """Show a job's output in the viewer and follow it while the job runs."""
        self._following = job_id
        self.log_title.value = f"<b>Output of {html.escape(job_id)}</b>"
        self.log_view.value = ""
        if self._follow_logs:
            threading.Thread(target=self._follow, args=(job_id,), daemon=True).start()

    def _follow(self, job_id: str) -> None:
        job = jobs.get(job_id)
        task = 0 if job.record["request"].get("array") else None

        def append(text: str) -> None:
            def add():
                if self._following == job_id:
                    self.log_view.value = (self.log_view.value + text)[-200_000:]
            self._post(add)
        try:
            job.follow(append, task=task)
        except jobs.JobError as e:
            append(f"\n[{e}]")


class _Row:
    """The widgets of one job's line in the table."""

    def __init__(self, job_id: str, show_logs):
        self.cells = [w.HTML(layout=w.Layout(width=_width(c))) for c in _COLUMNS]
        logs = w.Button(description="logs", layout=w.Layout(width="5em"))
        logs.on_click(lambda _b: show_logs(job_id))
        self.cancel = w.Button(description="cancel", button_style="danger",
                               layout=w.Layout(width="6em"))
        self.cancel.on_click(lambda _b: jobs.get(job_id).cancel())
        self.box = w.HBox([*self.cells, logs, self.cancel])
        self.box.add_class(f"funicular-job-{job_id}")
        self.state_class = ""

    def update(self, r: dict) -> None:
        for cell, column in zip(self.cells, _COLUMNS, strict=True):
            text = html.escape(str(r[column]))
            if cell.value != text:
                cell.value = text
        state_class = f"funicular-state-{r['state'].split()[0].lower()}"
        if state_class != self.state_class:
            if self.state_class:
                self.cells[2].remove_class(self.state_class)
            self.cells[2].add_class(state_class)
            self.state_class = state_class
        self.cancel.disabled = not r["cancellable"]


def _width(column: str) -> str:
    return {"id": "9em", "name": "10em", "state": "14em", "reason": "12em", "time": "16em",
            "nodes": "8em", "data": "12em"}[column]
