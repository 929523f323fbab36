"""Start links and "Start again with the same settings" (spawner/startlinks.py,
FunicularSpawner.options_from_query, templates/home.html).

Real: FunicularSpawner without the hub, as test_profile_list.py builds it (its user a
stand-in, its cluster view the recorded snapshot of test_cluster.py); a spawn URL's
query parsed by tornado and JupyterHub's own SpawnHandler._get_user_options (its
``opt-`` handling), as GET /hub/spawn hands it to the spawner; JupyterHub's
format_exception, which makes the form's error line; the remembered settings through
a real start and stop on test_lifecycle.py's hub (JupyterHub's orm and User); the home
page rendered by jinja2 from JupyterHub's own templates and ours, as the hub loads them.
"""

import json
import logging
import re
from html import escape
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from jupyterhub._data import DATA_FILES_PATH
from jupyterhub.handlers.pages import SpawnHandler
from jupyterhub.objects import Hub
from jupyterhub.utils import format_exception
from tornado.httputil import parse_qs_bytes

from funicular.core.errors import SpecError
from funicular.spawner import TEMPLATES, FunicularSpawner, start_again
from funicular.spawner.startlinks import check_query, form_fields, start_url, summary

from . import test_lifecycle as lc
from . import test_profile_list as pl

IMAGES = {"notebook": "/i/nb", "pytorch": "/i/pt"}
PROFILES = [  # as the box's (deploy/local/jupyterhub_config.py)
    {"name": "mc-small", "display_name": "Multicore: 1 CPU, 1 GB, 1 hour",
     "partition": "mc", "cpus": 1, "memory_mb": 1024, "minutes": 60, "image": "notebook"},
    {"name": "gpu-1", "display_name": "1 GPU, 2 CPUs, 4 GB, 2 hours",
     "partition": "gpu", "cpus": 2, "memory_mb": 4096, "gpus": 1, "minutes": 120,
     "image": "notebook"},
]


def spawner(url: str = "") -> FunicularSpawner:
    """A spawner with `profiles`; ``url``: the spawn request it serves (its handler)."""
    s = FunicularSpawner(images=IMAGES, profiles=PROFILES,
                         advanced_limits={"*": {"max_nodes": 1, "max_minutes": 480}})
    s.user = SimpleNamespace(name="alice", groups=[])
    s.cluster = pl.Cluster()
    s.handler = handler(url) if url else None
    return s


def listing(url: str = "") -> FunicularSpawner:
    """A spawner with test_profile_list.py's profile_list."""
    s = pl.spawner()
    s.handler = handler(url) if url else None
    return s


def handler(url: str):
    """What options_from_query sees of JupyterHub's SpawnHandler: its request."""
    args = parse_qs_bytes(urlsplit(url).query, keep_blank_values=True)
    return SimpleNamespace(request=SimpleNamespace(query_arguments=args))


def query_of(url: str) -> dict[str, list[str]]:
    """A spawn URL's query as JupyterHub's SpawnHandler hands it to the spawner."""
    args = parse_qs_bytes(urlsplit(url).query, keep_blank_values=True)
    query = {k: [b.decode("utf8") for b in v] for k, v in args.items()}
    query.pop("next", None)
    query.pop("display_name", None)
    return SpawnHandler._get_user_options(SimpleNamespace(log=logging.getLogger("t")), query)


# ---------------------------------------------------------------- the query is the form
@pytest.mark.parametrize(("make", "fields", "expected"), [
    (spawner, {"profile": ["mc-small"]}, {"profile": "mc-small"}),
    (spawner, {"profile": ["gpu-1"], "mode": ["profile"]}, {"profile": "gpu-1"}),
    (spawner, {"profile": ["mc-small"], "mode": ["advanced"], "partition": ["mc"],
               "cpus": ["2"], "memory_mb": ["2048"], "minutes": ["30"], "account": [""]},
     {"profile": "mc-small", "partition": "mc", "cpus": 2, "memory_mb": 2048, "minutes": 30}),
    (spawner, {"mode": ["advanced"], "partition": ["gpu"], "gpus": ["1"], "image": ["pytorch"]},
     {"partition": "gpu", "gpus": 1, "image": "pytorch"}),
    (listing, {"profile": ["gpu"], "profile-option-gpu--image": ["nb"]},
     {"profile": "gpu", "profile-option-image": "nb"}),
    (listing, {"profile": ["small-cpu"]}, {"profile": "small-cpu"}),
])
async def test_a_query_is_read_and_checked_as_the_form_with_the_same_fields(
        make, fields, expected):
    s = make()
    assert await s.options_from_query(fields) == await s.options_from_form(fields) == expected


@pytest.mark.parametrize(("make", "fields", "field", "words"), [
    # refused by the form's own checks
    (spawner, {"profile": ["gpu-48h"]}, "profile", "'gpu-48h' is not one of the offered"),
    (spawner, {"mode": ["advanced"], "cpus": ["4; rm -rf /"]}, "cpus", "not a whole number"),
    (spawner, {"mode": ["advanced"], "partition": ["mc"], "cpus": ["64"]}, "CPUs",
     "64 is more than the 8 per node allowed on partition mc"),
    (spawner, {"mode": ["advanced"], "partition": ["secret"]}, "partition",
     "'secret' is not a partition you can use here"),
    (listing, {"profile": ["gpu"], "profile-option-gpu--image": ["tensorflow"]},
     "profile-option-image", "'tensorflow' is not one of the choices"),
    (listing, {"profile": ["debug"]}, "profile", "partition debug does not exist"),
    # fields the form would ignore: refused in a link, which means them
    (spawner, {"profile": ["mc-small"], "cpus": ["4"]}, "cpus",
     "is a field of the advanced tab: add opt-mode=advanced"),
    (spawner, {"cpu": ["4"]}, "cpu", "is not a field of the spawn form"),
    (spawner, {"profile": ["mc-small", "gpu-1"]}, "profile", "given 2 times: give it once"),
    (spawner, {"mode": ["expert"]}, "mode", "'expert' is not one of profile, advanced"),
    (spawner, {"<img src=x>": ["1"]}, "'<img src=x>'", "is not a field of the spawn form"),
    (listing, {"profile": ["gpu"], "profile-option-small-cpu--x": ["1"]},
     "profile-option-small-cpu--x", "is not an option of the chosen profile (gpu)"),
    (listing, {"profile-option-gpu--image": ["nb"]}, "profile-option-gpu--image",
     "is not an option of the chosen profile (none given)"),
    # free text may name an image or a command, which the form takes (the user typed
    # it) but a link from another site must not carry
    (listing, {"profile": ["gpu"], "profile-option-gpu--cpus--unlisted-choice": ["8"]},
     "profile-option-gpu--cpus--unlisted-choice", "is free text, which a start link "
     "cannot carry: type it on the start form"),
])
async def test_a_refused_query_names_the_field_on_the_form(make, fields, field, words):
    s = make()
    with pytest.raises(SpecError) as e:
        await s.options_from_query(fields)
    assert e.value.field == field and words in str(e.value)
    # what JupyterHub's SpawnHandler puts above the form it shows again (escaped there)
    message, html_message = format_exception(e.value)
    assert message == f"This start link was refused: {field}: {str(e.value).split(': ', 1)[1]}"
    assert html_message is None


async def test_fields_that_jupyterhub_would_drop_are_refused_not_ignored():
    url = "/hub/spawn?opt-profile=mc-small&opt-mode=advanced&cpus=4&next=/user/alice/lab"
    s = spawner(url)
    assert query_of(url) == {"profile": ["mc-small"], "mode": ["advanced"]}  # cpus: gone
    with pytest.raises(SpecError, match="cpus: has no 'opt-' prefix while other fields "
                                        "have one, so it would be ignored: write opt-cpus"):
        await s.options_from_query(query_of(url))
    # without any opt- prefix JupyterHub passes the fields as they are: read alike
    legacy = "/hub/spawn?profile=gpu-1&next=/user/alice/lab"
    assert await spawner(legacy).options_from_query(query_of(legacy)) == {"profile": "gpu-1"}


def test_check_query_alone_leaves_the_values_to_the_form():
    check_query({"profile": ["x"], "mode": ["advanced"], "cpus": ["many"]})  # the form's
    check_query({"profile": ["gpu"], "profile-option-gpu--image": ["nb"]})


# ---------------------------------------------------------------- the link, and back
@pytest.mark.parametrize(("make", "options"), [
    (spawner, {"profile": "mc-small"}),
    (spawner, {"profile": "gpu-1"}),
    (spawner, {"profile": "mc-small", "partition": "mc", "cpus": 2, "memory_mb": 2048,
               "gpus": 0, "minutes": 30, "image": "pytorch"}),
    (spawner, {"partition": "gpu", "gpus": 1, "nodes": 1}),
    (listing, {"profile": "gpu", "profile-option-image": "nb", "profile-option-cpus": "2"}),
])
async def test_a_start_url_round_trips_through_the_query_and_its_checks(make, options):
    url = start_url("/hub/", options)
    assert url.startswith("/hub/spawn?opt-")
    assert await make(url).options_from_query(query_of(url)) == options


def test_start_urls_are_url_encoded_and_only_the_default_server_s_leave_out_the_user():
    assert start_url("/hub/", {"profile": "mc-small"}) == "/hub/spawn?opt-profile=mc-small"
    assert start_url("/jh/hub", {"profile": "gpu", "profile-option-image": "nb"},
                     user="alice", server="gpu") == \
        "/jh/hub/spawn/alice/gpu?opt-profile=gpu&opt-profile-option-gpu--image=nb"
    assert start_url("/hub/", {"profile": "mc-small", "cpus": 2}) == \
        "/hub/spawn?opt-profile=mc-small&opt-mode=advanced&opt-cpus=2"
    assert start_url("/hub/", {"profile": "a"}, user="a b", server="x/y") == \
        "/hub/spawn/a%20b/x%2Fy?opt-profile=a"
    # a value carrying more fields stays one value (no such value passes the checks)
    url = start_url("/hub/", {"profile": "a&opt-mode=advanced&opt-cpus=64#x"})
    assert query_of(url) == {"profile": ["a&opt-mode=advanced&opt-cpus=64#x"]}


@pytest.mark.parametrize("options", [
    None, {}, [], {"profile": True}, {"profile": " mc-small"}, {"cpus": -1},
    {"colour": "red"}, {"profile-option-image": "nb"}, {"profile": "gpu", 3: "x"},
    {"profile": "gpu", "profile-option-": "x"}, {"minutes": 1.5}, {"account": None},
    # free text is typed on the form, never carried by a link (check_query)
    {"profile": "gpu", "profile-option-cpus--unlisted-choice": "8"},
])
def test_options_a_link_cannot_say_give_no_link(options):
    assert form_fields(options) is None and start_url("/hub/", options) is None


def test_the_summary_says_the_settings_in_words():
    assert summary({"profile": "mc-small"}) == "profile mc-small"
    assert summary({"profile": "gpu", "profile-option-image": "nb",
                    "profile-option-cpus--unlisted-choice": "8"}) == \
        "profile gpu (image: nb, cpus: 8)"
    assert summary({"profile": "mc-small", "partition": "mc", "cpus": 2, "memory_mb": 2048,
                    "minutes": 30}) == \
        "profile mc-small; advanced: partition mc, 2 CPU(s), 2048 MB, 30 min"
    assert summary({"partition": "gpu", "account": "physics", "nodes": 1, "gpus": 1,
                    "reservation": "course", "image": "pytorch"}) == \
        "partition gpu, account physics, 1 node(s), 1 GPU(s), reservation course, " \
        "image pytorch"


# ---------------------------------------------------------------- remembered settings
def test_remembered_settings_round_trip_through_get_state_and_load_state():
    options = {"profile": "mc-small", "partition": "mc", "cpus": 2}
    first = spawner()
    first.accepted_options = options
    state = json.loads(json.dumps(first.get_state()))  # as the database column holds it
    assert state["accepted_options"] == options
    second = spawner()
    second.load_state(state)
    assert second.accepted_options == options
    second.clear_state()  # the server is gone: its settings stay
    assert second.get_state()["accepted_options"] == options


def _user(hub):
    return lc.User(hub.row, {"spawner_class": lc._Spawner, "hub": Hub(base_url="/hub/"),
                             "config": lc._config()})


async def test_a_started_server_s_settings_come_back_as_its_start_again_link(hub):
    url = "/hub/spawn?opt-profile=mc-1h"
    sp = lc.spawner(hub)
    sp.handler = handler(url)
    sp.user_options = sp.orm_spawner.user_options = await sp.options_from_query(query_of(url))
    await lc.started(hub, sp)
    assert lc.saved(hub, sp)["accepted_options"] == {"profile": "mc-1h"}
    assert start_again(_user(hub)) == []  # running: nothing to start again
    await sp.stop()
    sp.clear_state()  # as JupyterHub goes on after a stop
    sp.orm_spawner.state = sp.get_state()
    sp.orm_spawner.server = None
    hub.db.commit()
    again = [{"server": "", "url": url, "summary": "profile mc-1h"}]
    assert start_again(_user(hub)) == again
    # a start the spawner refuses leaves the remembered settings as they were
    sp = lc.spawner(hub, _user(hub))
    sp.user_options = {"profile": "mc-1h", "cpus": 64}
    with pytest.raises(Exception, match="CPUs: 64 is more than"):
        await sp.start()
    sp.clear_state()
    sp.orm_spawner.state = sp.get_state()
    sp.orm_spawner.server = None
    hub.db.commit()
    assert start_again(_user(hub)) == again and hub.slurm.submits[1:] == []


def test_start_again_lists_stopped_servers_with_settings_only():
    rows = [
        SimpleNamespace(name="", server=None, state={"accepted_options": {"profile": "a"}}),
        SimpleNamespace(name="gpu", server=None,
                        state={"accepted_options": {"partition": "gpu", "gpus": 1}}),
        SimpleNamespace(name="up", server=object(), state={"accepted_options": {"profile": "a"}}),
        SimpleNamespace(name="new", server=None, state={}),
        SimpleNamespace(name="rest", server=None, state={"accepted_options": {}}),
        SimpleNamespace(name="odd", server=None, state=None),
    ]
    user = SimpleNamespace(name="alice", all_spawners=lambda: rows,
                           settings={"hub": SimpleNamespace(base_url="/jh/hub/")})
    assert start_again(user) == [
        {"server": "", "url": "/jh/hub/spawn?opt-profile=a", "summary": "profile a"},
        {"server": "gpu", "summary": "partition gpu, 1 GPU(s)",
         "url": "/jh/hub/spawn/alice/gpu?opt-mode=advanced&opt-partition=gpu&opt-gpus=1"},
    ]
    assert start_again(None) == []


# ---------------------------------------------------------------- the home page
def test_the_home_page_shows_the_button_the_summary_and_the_link_escaped():
    env = Environment(autoescape=True, loader=ChoiceLoader([  # as JupyterHub loads them
        PrefixLoader({"templates": FileSystemLoader([f"{DATA_FILES_PATH}/templates"])}, "/"),
        FileSystemLoader([TEMPLATES, f"{DATA_FILES_PATH}/templates"])]))
    again = [{"server": "", "url": "/hub/spawn?opt-profile=mc-small&opt-mode=profile",
              "summary": "profile <b>mc-small</b>"},
             {"server": "gpu", "url": "/hub/spawn/alice/gpu?opt-profile=gpu-1",
              "summary": "profile gpu-1"}]
    html = env.get_template("home.html").render(
        funicular_start_again=again, base_url="/hub/", url="/hub/spawn/alice", user=None,
        default_server=SimpleNamespace(active=False), static_url=lambda *a, **k: "/static")
    href = re.escape(escape(again[0]["url"]))  # "&" as "&amp;" in the attribute
    assert re.search(r'<a id="funicular-start-again" class="[^"]*\bfunicular-start-again\b'
                     rf'[^"]*"\s+role="button" href="{href}"[^>]*>\s*Start\s+again with the '
                     r"same settings</a>", html)
    assert "profile &lt;b&gt;mc-small&lt;/b&gt;" in html
    assert re.search(rf'<input id="funicular-start-link" [^>]*readonly value="{href}"', html)
    assert re.search(r'<button id="funicular-copy-link" [^>]*>Copy link</button>', html)
    assert 'id="funicular-start-again-gpu"' in html and 'id="funicular-copy-link-gpu"' in html
    assert 'id="start"' in html  # JupyterHub's own page is still there
    none = env.get_template("home.html").render(
        base_url="/hub/", url="/hub/spawn/alice", user=None,
        default_server=SimpleNamespace(active=True), static_url=lambda *a, **k: "/static")
    assert 'id="funicular-start-again' not in none


home, slurm, hub = lc.home, lc.slurm, lc.hub  # test_lifecycle.py's fixtures
