"""StorageBrowser: browse containers and buckets, upload and download with progress
bars, share links. Everything goes through the notebook server's storage API and
transfer service (``funicular.widgets.storage_client``), so transfers go on if the kernel
restarts; progress comes from the server's change stream, handed to the kernel's
event loop before any widget changes (as JobMonitor does)."""

import asyncio
import html
import os
import threading
import time

import ipywidgets as w

from . import storage_client as storage


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""


class StorageBrowser(w.VBox):
    def __init__(self, url: str | None = None, local_dir: str = ".", **kwargs):
        self.local_dir = os.path.abspath(local_dir)
        try:
            schemes = storage.stores()
        except storage.StorageError as e:
            schemes, error = [], str(e)
        else:
            error = "" if schemes else "no object store is configured for you here"
        self.location = w.Text(value=url or (f"{schemes[0]}://" if schemes else ""),
                               description="Location", layout=w.Layout(width="60%"))
        self.location.on_submit(lambda _t: self.refresh())
        up = w.Button(description="up", icon="arrow-up", layout=w.Layout(width="6em"))
        up.on_click(lambda _b: self._go_up())
        reload = w.Button(description="refresh", layout=w.Layout(width="7em"))
        reload.on_click(lambda _b: self.refresh())
        self.listing = w.Select(options=[], rows=12, layout=w.Layout(width="100%"))
        self._entries: dict[str, dict] = {}
        buttons = []
        for label, fn, style in (("open", self._open, ""), ("download", self._download, ""),
                                 ("share link", self._share, ""),
                                 ("delete", self._delete, "danger")):
            b = w.Button(description=label, button_style=style, layout=w.Layout(width="8em"))
            b.on_click(lambda _b, fn=fn: self._guard(fn))
            buttons.append(b)
        self.uploader = w.FileUpload(multiple=True, description="from computer",
                                     layout=w.Layout(width="14em"))
        self.uploader.observe(lambda ch: self._guard(self._upload_files, ch["new"]), "value")
        self.local_path = w.Text(placeholder="a file in the notebook, e.g. results/run1.h5",
                                 layout=w.Layout(width="40%"))
        put = w.Button(description="upload file", layout=w.Layout(width="9em"))
        put.on_click(lambda _b: self._guard(self._upload_path))
        self.new_name = w.Text(placeholder="new container", layout=w.Layout(width="15em"))
        create = w.Button(description="create", layout=w.Layout(width="7em"))
        create.on_click(lambda _b: self._guard(self._create))
        self.link = w.HTML()
        self.status = w.HTML(error and f"<b>{html.escape(error)}</b>")
        self.transfers = w.VBox()
        self._rows: dict[str, _Row] = {}
        super().__init__([
            w.HBox([self.location, up, reload]), self.listing, w.HBox(buttons),
            w.HBox([self.uploader, self.local_path, put, self.new_name, create]),
            self.link, self.status, self.transfers], **kwargs)
        self.add_class("funicular-storage-browser")
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._stop = threading.Event()
        self._seen_since = time.time()
        if schemes:
            self.refresh()
            threading.Thread(target=self._listen, daemon=True).start()

    # ------------------------------------------------------------------ actions
    def _guard(self, fn, *args) -> None:
        """Runs an action; a refusal is shown, not raised into the kernel's log."""
        try:
            self.status.value = ""
            fn(*args)
        except (storage.StorageError, OSError, ValueError) as e:
            self.status.value = f"<b>{html.escape(str(e))}</b>"

    @property
    def url(self) -> str:
        return self.location.value.strip()

    def refresh(self) -> None:
        try:
            entries = storage.ls(self.url)
        except storage.StorageError as e:
            self.status.value = f"<b>{html.escape(str(e))}</b>"
            return
        self._entries = {}
        options = []
        for e in entries:
            label = (f"📁 {e['name']}/" if e["type"] == "directory"
                     else f"{e['name']}  ({_size(e['size'])})")
            self._entries[label] = e
            options.append(label)
        self.listing.options = options

    def _selected(self) -> dict:
        e = self._entries.get(self.listing.value)
        if e is None:
            raise ValueError("select an entry first")
        return e

    def _go_up(self) -> None:
        scheme, _, rest = self.url.partition("://")
        rest = rest.rstrip("/")
        self.location.value = f"{scheme}://" + (rest.rsplit("/", 1)[0] + "/" if "/" in rest
                                                else "")
        self.refresh()

    def _open(self) -> None:
        e = self._selected()
        if e["type"] != "directory":
            raise ValueError(f"{e['name']} is a file: download it or share a link")
        self.location.value = e["url"] + "/"
        self.refresh()

    def _folder(self) -> str:
        scheme, _, rest = self.url.partition("://")
        if not rest.strip("/"):
            raise ValueError("open a container first (or create one)")
        return self.url if self.url.endswith("/") else self.url + "/"

    def _download(self) -> None:
        e = self._selected()
        if e["type"] == "directory":
            raise ValueError("pick a file to download")
        self._track(storage.get(e["url"], self.local_dir + "/", wait=False))

    def _share(self) -> None:
        e = self._selected()
        link = storage.share(e["url"], seconds=24 * 3600)
        self.link.value = (f'Link for {html.escape(e["name"])} (valid 24 h): '
                           f'<a href="{html.escape(link)}" target="_blank">'
                           f'{html.escape(link)}</a>')

    def _delete(self) -> None:
        e = self._selected()
        storage.rm(e["url"])
        self.refresh()

    def _create(self) -> None:
        scheme = self.url.partition("://")[0]
        storage.mkdir(f"{scheme}://{self.new_name.value.strip()}")
        self.new_name.value = ""
        self.refresh()

    def _upload_path(self) -> None:
        path = os.path.join(self.local_dir, os.path.expanduser(self.local_path.value.strip()))
        self._track(storage.put(path, self._folder(), wait=False))

    def _upload_files(self, files) -> None:
        """From the browser: written into the notebook's folder, then sent from there."""
        folder = self._folder()
        for f in files:
            name = os.path.basename(f["name"])
            if not name or name.startswith("."):
                raise ValueError(f"{f['name']!r} is not a file name to keep")
            path = os.path.join(self.local_dir, name)
            with open(path, "wb") as out:
                out.write(bytes(f["content"]))
            self._track(storage.put(path, folder, wait=False))

    # ------------------------------------------------------------------ progress
    def _post(self, fn, *args) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)
        else:
            fn(*args)

    def _track(self, t: storage.Transfer) -> None:
        self._show(t.record)

    def _show(self, record: dict) -> None:
        tid = record["id"]
        if tid not in self._rows:
            self._rows[tid] = _Row(tid)
            self.transfers.children = (*self.transfers.children, self._rows[tid].box)
        was = self._rows[tid].state
        self._rows[tid].update(record)
        if record["state"] == "done" and was != "done" and record["dst"].startswith(
                self.url.split("?")[0].rstrip("/")):
            self.refresh()  # an upload into what is shown

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                for name, data in storage.events(timeout=60):
                    if self._stop.is_set():
                        return
                    if name == "transfer":
                        t = data["transfer"]
                        if t["id"] in self._rows or t["created"] >= self._seen_since:
                            self._post(self._show, t)
            except Exception:  # the server restarting: reconnect
                time.sleep(2)

    def close(self):
        self._stop.set()
        super().close()


class _Row:
    """One transfer: what, a progress bar, its state."""

    def __init__(self, tid: str):
        self.label = w.HTML(layout=w.Layout(width="45%"))
        self.bar = w.IntProgress(min=0, max=1, layout=w.Layout(width="30%"))
        self.info = w.HTML(layout=w.Layout(width="25%"))
        self.box = w.HBox([self.label, self.bar, self.info])
        self.box.add_class(f"funicular-transfer-{tid}")
        self.state = ""

    def update(self, r: dict) -> None:
        self.label.value = html.escape(f"{r['src'].rsplit('/', 1)[-1]} → {r['dst']}")
        self.bar.max = max(1, r["size"])
        self.bar.value = r["size"] if r["state"] == "done" else r["bytes_done"]
        self.bar.bar_style = {"done": "success", "failed": "danger",
                              "interrupted": "warning", "cancelled": "warning"}.get(r["state"], "")
        detail = f"verified {r['verified']}" if r["state"] == "done" else r["error"]
        self.info.value = (f'<span class="funicular-transfer-state">{r["state"]}</span> '
                           + html.escape(detail or ""))
        if self.state:
            self.box.remove_class(f"funicular-transfer-{self.state}")
        self.box.add_class(f"funicular-transfer-{r['state']}")
        self.state = r["state"]
