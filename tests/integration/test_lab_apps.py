"""VS Code and the desktop in Chromium (docs/apps.md): both have a tile in JupyterLab's
launcher; VS Code opens a file of alice's home and saves a change to it; the desktop
connects and draws (its canvas has more than a background's colours). The
screenshots are the user guide's."""

import time

from .browsing import login
from .harness import home, run, wait_for

NOTE = "vscode-note.txt"
# how many colours the desktop's canvas shows (a blank one has one)
CANVAS_COLOURS = """() => {
  const c = document.querySelector('canvas');
  if (!c || !c.width) return 0;
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let i = 0; i < data.length && seen.size < 50; i += 4 * 97) {
    seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  }
  return seen.size;
}"""


def test_vscode_saves_a_file_and_the_desktop_draws(hub, browser, shots):
    note = home("alice") / NOTE
    note.write_text("written in the notebook's home\n")
    run("chown", "alice:alice", note)
    page = browser.new_page(viewport={"width": 1300, "height": 850})
    page.set_default_timeout(60_000)
    try:
        login(page, hub, "alice")
        hub.spawn("alice", options={"profile": "mc-small"})
        hub.wait_ready("alice")
        page.goto(hub.url + "user/alice/lab/workspaces/funicular-apps-test?reset")
        for title in ("VS Code", "Desktop"):
            page.wait_for_selector(f".jp-LauncherCard[title^='{title}'], "
                                   f".jp-LauncherCard:has-text('{title}')", timeout=120_000)
        page.screenshot(path=shots / "lab-launcher-apps.png")

        # VS Code, on alice's home as its folder
        page.goto(hub.url + f"user/alice/vscode/?folder={home('alice')}")
        page.wait_for_selector(".monaco-workbench", timeout=120_000)
        trust = page.locator(".monaco-dialog-box .monaco-button:has-text('Yes, I trust')")
        try:
            trust.click(timeout=10_000)
        except Exception:
            pass  # no trust question (a folder trusted before)
        page.wait_for_selector(".explorer-folders-view", timeout=60_000)
        page.click(f".explorer-folders-view .monaco-list-row:has-text('{NOTE}')")
        try:
            page.wait_for_selector(".monaco-editor .view-lines:has-text('written in the')")
        except Exception:
            page.screenshot(path=shots / "vscode-failed.png")
            raise
        page.click(".monaco-editor .view-lines")
        page.keyboard.press("Control+End")
        page.keyboard.type("and saved from VS Code")
        page.keyboard.press("Control+S")
        wait_for(lambda: "saved from VS Code" in note.read_text(), 30,
                 "VS Code to save the file in alice's home")
        assert note.stat().st_uid == int(run("id", "-u", "alice").stdout)
        page.screenshot(path=shots / "vscode.png")

        # the desktop: noVNC connects over the websocket and the canvas draws
        page.goto(hub.url + "user/alice/desktop/")
        page.wait_for_selector("canvas", timeout=120_000)
        deadline = time.monotonic() + 60
        while page.evaluate(CANVAS_COLOURS) < 3:
            assert time.monotonic() < deadline, "the desktop's canvas never drew"
            time.sleep(1)
        page.screenshot(path=shots / "desktop.png")
    finally:
        page.close()
        hub.stop_server("alice")
        note.unlink(missing_ok=True)
