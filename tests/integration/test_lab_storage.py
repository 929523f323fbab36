"""Object storage in JupyterLab (lab/src/storage): alice opens the "Object storage"
panel beside the file browser, creates a container, uploads a file of her home by
dragging it from the file browser onto the panel and one from her "desktop" (an HTML5
drop), sees each transfer end done and verified and the objects listed, downloads one
back into another folder (bytes equal), shares a link that anyone can fetch, and
deletes the objects and the container, each after a confirmation dialog.

Lumino drags (the file browser's, and the panel's own onto the file browser) start on
a press and a move past 5 px, so they are driven with page.mouse in steps; should one
not start a transfer, the test says so in a warning and takes the button that does
the same ("Upload selected", the row's download), so the rest is still checked.
"""

import os
import shutil
import warnings

import requests

from funicular.core.storage import filesystem

from .browsing import login
from .harness import home, remove_container, run, store_credentials

CONTAINER = "funitest-lab"
FOLDER = "funitest-lab-up"  # in alice's home: what she uploads; back/ takes downloads
PANEL = "#funicular-storage"


def obj(url: str) -> str:
    return f"{PANEL} .funicular-object[data-url='{url}']"


def transfer(**attrs: str) -> str:
    return f"{PANEL} .funicular-transfer" + "".join(f"[data-{k}='{v}']" for k, v in attrs.items())


def lumino_drag(page, source, target) -> None:
    """Press on ``source``, move past Lumino's threshold, then in steps onto ``target``
    (each step a pointermove that Lumino turns into lm-dragenter/over), and release."""
    s, t = source.bounding_box(), target.bounding_box()
    sx, sy = s["x"] + min(30, s["width"] / 2), s["y"] + s["height"] / 2
    tx, ty = t["x"] + t["width"] / 2, t["y"] + t["height"] / 2
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(sx + 12, sy + 4, steps=4)
    page.mouse.move(tx, ty, steps=25)
    page.mouse.move(tx + 3, ty + 3, steps=3)
    page.mouse.up()


def started(page, selector: str, timeout: float = 20_000) -> bool:
    try:
        page.wait_for_selector(selector, state="attached", timeout=timeout)
        return True
    except Exception:
        return False


DESKTOP_DROP = """([selector, name, text]) => {
    const zone = document.querySelector(selector);
    const data = new DataTransfer();
    data.items.add(new File([text], name, {type: 'text/plain'}));
    const r = zone.getBoundingClientRect();
    const init = {bubbles: true, cancelable: true, dataTransfer: data,
                  clientX: r.x + r.width / 2, clientY: r.y + r.height / 2};
    for (const type of ['dragenter', 'dragover', 'drop']) {
        zone.dispatchEvent(new DragEvent(type, init));
    }
}"""


def test_object_storage_panel(hub, browser, shots):
    swift = filesystem("swift", store_credentials("alice"))
    remove_container("alice", CONTAINER)
    folder = home("alice") / FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "back").mkdir(parents=True)
    payload = os.urandom(300_000)
    (folder / "payload.bin").write_bytes(payload)
    run("chown", "-R", "alice:alice", folder)
    desktop = "from the desktop\n" * 500
    here = f"swift://{CONTAINER}/"
    payload_url, desktop_url = here + "payload.bin", here + "desktop.txt"

    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.set_default_timeout(60_000)
    token = ""

    def api(method, path, **kw):
        return hub.as_user(method, "alice", path, token, **kw)

    def forget_ours() -> None:
        """The journal's records of this test's transfers (an earlier run's too, whose
        rows would otherwise pass for this run's)."""
        for t in api("GET", "funicular/api/transfers").json().get("transfers", []):
            if CONTAINER in t["src"] or CONTAINER in t["dst"]:
                api("DELETE", f"funicular/api/transfers/{t['id']}")

    def containers() -> list[str]:
        listed = api("GET", "funicular/api/storage/ls", params={"url": "swift://"})
        assert listed.status_code == 200, listed.text
        return [e["name"] for e in listed.json()["entries"]]

    try:
        login(page, hub, "alice")  # before the spawn: the hub knows alice once she logged in
        hub.spawn("alice")
        hub.wait_ready("alice")
        token = hub.user_token("alice")
        forget_ours()
        page.goto(hub.url + f"user/alice/lab/workspaces/funicular-storage-test/tree/{FOLDER}?reset")
        page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
        item = ".jp-FileBrowser .jp-DirListing-item:has-text('payload.bin')"
        if not started(page, item, 30_000):  # the URL did not open the folder: open it by hand
            page.dblclick(f".jp-FileBrowser .jp-DirListing-item:has-text('{FOLDER}')")
            page.wait_for_selector(item)
        # toasts (JupyterLab's news question, the session's notices) sit over the lower
        # right corner, where the side bar's panel is: out of the way, they are not tested here
        page.add_style_tag(content=".Toastify__toast-container { display: none !important; }")

        # the panel: the right side bar, beside the file browser
        page.click(".lm-TabBar-tab[data-id='funicular-storage']")
        page.wait_for_selector(f"{PANEL} .funicular-store[data-url='swift://']")
        page.click(f"{PANEL} .funicular-store[data-url='swift://']")
        page.wait_for_selector(f"{PANEL} .funicular-storage-listing[data-url='swift://']"
                               "[data-state=ready]")

        # a refusal is shown in the panel, in the server's words
        page.click(f"{PANEL} .funicular-storage-mkdir")
        page.fill(".jp-Dialog .funicular-storage-mkdir-name", "Not a name!")
        page.click(".jp-Dialog .jp-mod-accept")
        error = page.wait_for_selector(f"{PANEL} .funicular-storage-error")
        assert "not a valid container name" in error.inner_text(), error.inner_text()
        page.click(f"{PANEL} .funicular-storage-error-close")

        page.click(f"{PANEL} .funicular-storage-mkdir")
        page.fill(".jp-Dialog .funicular-storage-mkdir-name", CONTAINER)
        page.click(".jp-Dialog .jp-mod-accept")
        page.wait_for_selector(f"{PANEL} .funicular-storage-listing[data-url='{here}']"
                               "[data-state=ready]")
        assert CONTAINER in containers()

        # (a) from the file browser: a Lumino drag onto the panel
        zone = page.query_selector(f"{PANEL} .funicular-storage-dropzone")
        source = page.query_selector(f"{item} .jp-DirListing-itemText")
        lumino_drag(page, source, page.query_selector(f"{PANEL} .funicular-storage-listing"))
        up = transfer(dst=payload_url)
        if not started(page, up):
            warnings.warn("dragging from the file browser started no upload; "
                          "took 'Upload selected'", stacklevel=1)
            page.click(item)
            page.click(f"{PANEL} .funicular-storage-upload-selected")
        page.wait_for_selector(f"{up}[data-state=done][data-verified]", timeout=120_000)
        assert "verified" in page.inner_text(f"{up} .funicular-transfer-verified")
        assert page.get_attribute(f"{up} .funicular-transfer-progress", "value") == \
            page.get_attribute(f"{up} .funicular-transfer-progress", "max")
        page.wait_for_selector(obj(payload_url))
        assert swift.cat_file(f"{CONTAINER}/payload.bin") == payload

        # (b) from the desktop: saved into the file browser's folder, then sent
        page.evaluate(DESKTOP_DROP, [f"{PANEL} .funicular-storage-dropzone", "desktop.txt",
                                     desktop])
        page.wait_for_selector(f"{transfer(dst=desktop_url)}[data-state=done][data-verified]",
                               timeout=120_000)
        page.wait_for_selector(obj(desktop_url))
        assert (folder / "desktop.txt").read_text() == desktop
        assert swift.cat_file(f"{CONTAINER}/desktop.txt") == desktop.encode()
        assert zone.get_attribute("data-url") == here
        page.screenshot(path=shots / "lab-storage.png")

        # download into another folder: the file browser's, wherever it is
        page.dblclick(".jp-FileBrowser .jp-DirListing-item:has-text('back')")
        page.wait_for_selector(item, state="detached")  # in back/, which is empty
        page.click(f"{obj(payload_url)} .funicular-storage-download")
        down = transfer(src=payload_url, state="done")
        page.wait_for_selector(f"{down}[data-dst$='/{FOLDER}/back/payload.bin']",
                               timeout=120_000)
        assert (folder / "back" / "payload.bin").read_bytes() == payload
        page.wait_for_selector(".jp-FileBrowser .jp-DirListing-item:has-text('payload.bin')")

        # an object dragged onto the file browser lands in the folder it shows
        lumino_drag(page, page.query_selector(f"{obj(desktop_url)} .funicular-object-name"),
                    page.query_selector(".jp-FileBrowser .jp-DirListing-content"))
        dragged = f"{transfer(src=desktop_url)}[data-dst$='/{FOLDER}/back/desktop.txt']"
        if started(page, dragged):
            page.wait_for_selector(f"{dragged}[data-state=done]", timeout=120_000)
            assert (folder / "back" / "desktop.txt").read_text() == desktop
        else:
            warnings.warn("dragging an object onto the file browser started no download",
                          stacklevel=1)

        # a share link anyone can fetch
        page.click(f"{obj(payload_url)} .funicular-storage-share")
        page.wait_for_selector(f"{PANEL} .funicular-storage-link[data-state=ready]")
        link = page.input_value(f"{PANEL} .funicular-storage-link-url")
        assert link.startswith("http"), link
        got = requests.get(link, timeout=30)
        assert got.status_code == 200 and got.content == payload, got.status_code

        # forget an ended transfer
        done = page.query_selector(transfer(dst=desktop_url))
        tid = done.get_attribute("data-id")
        done.query_selector(".funicular-transfer-forget").click()
        page.wait_for_selector(transfer(id=tid), state="detached")
        assert api("GET", f"funicular/api/transfers/{tid}").status_code == 404

        # delete the objects, then the container, each confirmed
        for url in (payload_url, desktop_url):
            page.click(f"{obj(url)} .funicular-storage-rm")
            page.click(".jp-Dialog .jp-mod-accept")
            page.wait_for_selector(obj(url), state="detached")
        assert api("GET", "funicular/api/storage/ls", params={"url": here}).json()["entries"] == []
        page.click(f"{PANEL} .funicular-storage-crumb[data-url='swift://']")
        page.wait_for_selector(obj(f"swift://{CONTAINER}"))
        page.click(f"{obj(f'swift://{CONTAINER}')} .funicular-storage-rm")
        page.click(".jp-Dialog .jp-mod-accept")
        page.wait_for_selector(obj(f"swift://{CONTAINER}"), state="detached")
        assert CONTAINER not in containers()
    except Exception:
        page.screenshot(path=shots / "lab-storage-failed.png")
        raise
    finally:
        if token:
            try:
                forget_ours()
            except Exception:
                pass
        page.close()
        remove_container("alice", CONTAINER)
        shutil.rmtree(folder, ignore_errors=True)
