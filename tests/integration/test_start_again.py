"""Start again and start links in Chromium: the hub's home page offers the settings
the last start was accepted with, as a link that starts the same again; a link with a
setting the form would refuse shows the form with the field named, and starts
nothing (spawner/startlinks.py)."""

from .browsing import login
from .harness import wait_for


def test_start_again_with_the_same_settings(hub, browser, shots):
    hub.spawn("alice", options={"profile": "mc-small"})
    hub.wait_ready("alice")
    first = hub.server("alice")["user_options"]
    hub.stop_server("alice")
    wait_for(lambda: hub.server("alice") is None, 60, "alice's server to stop")

    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.set_default_timeout(60_000)
    try:
        login(page, hub, "alice")
        page.goto(hub.url + "hub/home")
        again = page.wait_for_selector("a#funicular-start-again")
        assert again.get_attribute("href").endswith("/hub/spawn?opt-profile=mc-small")
        assert "mc-small" in page.inner_text(".funicular-start-again-summary")
        link = page.input_value("#funicular-start-link")
        assert link == hub.url + "hub/spawn?opt-profile=mc-small"
        page.screenshot(path=shots / "home-start-again.png", full_page=True)

        again.click()
        page.wait_for_url("**/user/alice/lab**", timeout=120_000)
        page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
        assert hub.server("alice")["user_options"] == first
    finally:
        page.close()
        hub.stop_server("alice")


def test_a_start_link_the_form_would_refuse_starts_nothing(hub, browser, shots):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.set_default_timeout(60_000)
    try:
        login(page, hub, "bob")
        page.goto(hub.url + "hub/spawn?opt-mode=advanced&opt-partition=mc&opt-cpus=64"
                  "&opt-memory_mb=1024&opt-minutes=30&opt-image=notebook")
        error = page.wait_for_selector(".spawn-error-msg")
        assert "This start link was refused" in error.inner_text()
        assert "CPUs: 64 is more than the 8 per node allowed" in error.inner_text()
        page.screenshot(path=shots / "start-link-refused.png", full_page=True)
        page.goto(hub.url + "hub/spawn?opt-profile=no-such-profile")
        assert "profile" in page.wait_for_selector(".spawn-error-msg").inner_text()
        assert hub.server("bob") is None
    finally:
        page.close()
