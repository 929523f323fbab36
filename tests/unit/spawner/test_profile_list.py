"""profile_list on FunicularSpawner (spawner/offer.py): the form, the checks of a
choice from the form or the REST API, callables, and the chosen profile's settings set
before the job is built and put back after. A real FunicularSpawner without the hub
(its user a stand-in, its cluster view the recorded snapshot of test_cluster.py); the
spawn path with JupyterHub's own objects is at the end, on test_lifecycle.py's hub."""

import asyncio
import contextlib
import re
from html import escape
from types import SimpleNamespace

import pytest
from traitlets.config import Config

from funicular.core import envfile
from funicular.core.errors import SpecError
from funicular.spawner import FunicularSpawner

from ..core.slurm.test_cluster import snapshot
from . import test_lifecycle as lc

IMAGES = {"notebook": "/i/nb", "pytorch": "/i/pt"}
LIST = [
    {"display_name": "Small CPU", "description": "For <b>editing</b> & small runs"},
    {"display_name": "GPU node", "slug": "gpu",
     "kubespawner_override": {"server_job": {"partition": "gpu", "gpus": 1, "cpus": 2},
                              "environment": {"COURSE": "ml"}, "default_url": "/lab"},
     "profile_options": {
         "image": {"display_name": "Image", "choices": {
             "nb": {"display_name": "Notebook"},
             "torch": {"display_name": "PyTorch", "default": True,
                       "funicular_override": {"server_job": {"image": "pytorch"}}}}},
         "cpus": {"display_name": "CPUs", "choices": {"2": {"display_name": "2"}},
                  "unlisted_choice": {"enabled": True, "display_name": "Other number",
                                      "validation_regex": "[0-9]{1,3}",
                                      "funicular_override": {
                                          "server_job": {"cpus": "{value}"}}}}}},
    {"display_name": "Debug partition", "slug": "debug",
     "funicular_override": {"server_job": {"partition": "debug"}}},
]


class Cluster:
    stale_reason = None

    def __init__(self, snap=None):
        self.snap = snap or snapshot()

    async def get(self):
        return self.snap


def spawner(profile_list=LIST, groups=(), **settings) -> FunicularSpawner:
    s = FunicularSpawner(images=IMAGES, profile_list=profile_list, **settings)
    s.user = SimpleNamespace(name="alice", groups=[SimpleNamespace(name=g) for g in groups])
    s.cluster = Cluster()
    return s


def settings_of(s) -> dict:
    return {k: getattr(s, k) for k in ("server_job", "environment", "default_url", "cmd")}


# ---------------------------------------------------------------- the form
async def test_the_form_shows_each_profile_with_its_description_job_and_options():
    html = await spawner()._render_form()
    assert "For &lt;b&gt;editing&lt;/b&gt; &amp; small runs" in html  # text, escaped
    assert "partition gpu · 2 CPU(s) · 1024 MB · 1 GPU(s) · 1 h · image pytorch" in html
    assert re.search(r'<input type="radio" name="profile" value="small-cpu" checked>', html)
    # a profile whose partition this cluster lacks is shown, greyed out, with why
    assert re.search(r'value="debug" disabled>.*partition debug does not exist', html)
    assert '<select class="form-select form-control" id="funicular-profile-option-gpu--image"' \
           ' name="profile-option-gpu--image">' in html
    assert '<option value="torch" selected>PyTorch</option>' in html
    assert '<option value="--unlisted-choice">Other...</option>' in html
    assert 'name="profile-option-gpu--cpus--unlisted-choice"' in html
    assert 'name="profile-option-small-cpu' not in html  # no options: no fields


async def test_what_the_browser_sends_goes_through_the_same_checks():
    s = spawner()
    form = {"profile": ["gpu"], "mode": ["profile"], "_xsrf": ["x"],
            "profile-option-gpu--image": ["nb"],
            "profile-option-gpu--cpus": ["2"], "profile-option-gpu--cpus--unlisted-choice": ["7"],
            "profile-option-small-cpu--x": ["ignored: not the chosen profile's"]}
    assert await s.options_from_form(form) == {
        "profile": "gpu", "profile-option-image": "nb", "profile-option-cpus": "2"}
    form["profile-option-gpu--cpus"] = ["--unlisted-choice"]  # "Other..." chosen
    assert (await s.options_from_form(form))["profile-option-cpus--unlisted-choice"] == "7"
    form["profile-option-gpu--image"] = ["tensorflow"]  # a value the page never offered
    with pytest.raises(SpecError, match="profile-option-image: 'tensorflow' is not one of"):
        await s.options_from_form(form)
    with pytest.raises(SpecError, match="partition debug does not exist"):
        await s.options_from_form({"profile": ["debug"]})


async def test_free_text_is_checked_as_an_advanced_request_is():
    s = spawner()
    asked = {"profile": "gpu", "profile-option-cpus--unlisted-choice": "8"}
    plan = await s._plan(asked)
    assert s._resolve(asked, snapshot(), plan).resources.cpus == 8
    too_many = {"profile": "gpu", "profile-option-cpus--unlisted-choice": "64"}
    with pytest.raises(SpecError, match="CPUs: 64 is more than the 8 per node"):
        s._resolve(too_many, snapshot(), await s._plan(too_many))
    with pytest.raises(SpecError, match="state is unknown"):  # as advanced requests
        s._resolve(asked, None, plan)
    limited = spawner(advanced_limits={"*": {"max_nodes": 1, "max_cpus": 4}})
    with pytest.raises(SpecError, match="CPUs: 8 is more than the 4 per node"):
        limited._resolve(asked, snapshot(), await limited._plan(asked))


async def test_the_rest_apis_options_and_the_advanced_keys_over_the_profile():
    s = spawner()
    asked = {"profile": "gpu", "profile-option-image": "nb", "minutes": 120}
    choice = s._resolve(asked, snapshot(), await s._plan(asked))
    assert (choice.resources.partition, choice.resources.minutes, choice.image) == \
        ("gpu", 120, "notebook")
    assert choice.label.startswith("custom: gpu")
    with pytest.raises(SpecError, match=r"unknown option\(s\) \['colour'\]"):
        s._resolve({"profile": "gpu", "colour": "red"}, snapshot(),
                   await s._plan({"profile": "gpu", "colour": "red"}))
    with pytest.raises(SpecError, match="user_options: must be an object"):
        await s._plan(["gpu"])


# ---------------------------------------------------------------- callables
async def test_a_callable_is_called_with_the_spawner_and_its_result_checked_alike():
    calls = []

    async def for_user(spawner):
        calls.append(spawner)
        return LIST[:2] if spawner.user.name == "alice" else LIST[:1]

    s = spawner(for_user)
    assert [p.slug for p in await s.listed_profiles()] == ["small-cpu", "gpu"]
    assert calls == [s]
    s.check_config()  # the hub does not call it at start: nothing to check there
    assert len(calls) == 1
    broken = spawner(lambda sp: [{"display_name": "a", "funicular_override": {"partitionz": 1}}])
    message = "profile_list[0].funicular_override: unknown FunicularSpawner setting 'partitionz'"
    with pytest.raises(SpecError) as e:
        await broken.options_from_form({"profile": ["a"]})
    assert str(e.value) == message
    html = await broken._render_form()  # the user sees it on the form, not a traceback
    assert f"The profiles cannot be offered: {escape(message)}" in html
    failing = spawner(lambda sp: {}["missing"])
    with pytest.raises(SpecError, match=r"profile_list: the callable failed \(the hub's log") \
            as e:
        await failing.listed_profiles()
    assert "missing" not in str(e.value)  # the admin's exception: in the hub's log only
    no_image = spawner(lambda sp: [{"display_name": "a", "funicular_override": {
        "server_job": {"image": "tensorflow"}}}])
    with pytest.raises(SpecError, match=r"profile_list\[0\]: profile 'a': image 'tensorflow'"):
        await no_image.listed_profiles()


async def test_override_values_may_be_callables_as_kubespawners_are():
    async def url(spawner):
        return f"/lab/tree/{spawner.user.name}"

    s = spawner([{"display_name": "a", "funicular_override": {"default_url": url}}])
    plan = await s._plan({})
    assert plan.values == {"default_url": "/lab/tree/alice"}


# ---------------------------------------------------------------- set, and put back
async def test_the_chosen_profiles_settings_are_set_then_put_back():
    s = spawner()
    before = settings_of(s)
    s.user_options = {"profile": "gpu", "profile-option-image": "nb"}
    plan = await s.load_profile()
    assert s.server_job == {**before["server_job"], "partition": "gpu", "gpus": 1, "cpus": 2}
    assert (s.environment, s.default_url) == ({"COURSE": "ml"}, "/lab")
    assert await s.load_profile() is plan  # once per start
    assert s._resolve(s.user_options, snapshot()).profile == "gpu"
    s.clear_state()  # the server went
    assert settings_of(s) == before
    # the next start, with another profile, gets none of the first one's settings
    s.user_options = {"profile": "small-cpu"}
    await s.load_profile()
    assert settings_of(s) == before


@pytest.mark.parametrize("asked", [
    {"profile": "gpu", "profile-option-image": "tensorflow"},
    {"profile": "nope"},
    {"profile": "gpu", "profile-option-cpus--unlisted-choice": "abc"},
])
async def test_a_refused_choice_changes_nothing(asked):
    s = spawner()
    s.user_options = {"profile": "gpu"}
    await s.load_profile()
    loaded = settings_of(s)
    s.user_options = asked
    with pytest.raises(SpecError):
        await s.load_profile()
    assert settings_of(s) == loaded
    with pytest.raises(SpecError, match="not loaded before the start"):
        s._resolve(asked, snapshot())


async def test_a_new_choice_goes_over_the_configuration_not_over_the_last_profile():
    s = spawner()
    s.user_options = {"profile": "gpu"}
    await s.load_profile()
    s.user_options = {"profile": "debug"}  # no clear_state between: still not stacked
    await s.load_profile()
    assert s.server_job == {**spawner().server_job, "partition": "debug"}
    assert s.environment == {} and s.default_url == ""


def test_workshop_participants_get_the_workshop_not_the_list():
    ws = {"hpc101": {"group": "hpc101", "reservation": "hpc101", "partition": "mc",
                     "image": "notebook"}}
    participant = spawner(groups=["hpc101"], workshops=ws)
    assert not participant.listing and list(participant.profile_map) == ["workshop-hpc101"]
    assert spawner(groups=["staff"], workshops=ws).listing


async def test_profiles_alone_work_as_before():
    s = spawner(profile_list=[])
    assert not s.listing and list(s.profile_map) == ["mc-1h"]
    assert s._resolve({"profile": "mc-1h"}, snapshot()).profile == "mc-1h"
    assert await s.load_profile() is None and "mc-1h" in await s._render_form()


# ---------------------------------------------------------------- the spawn, with the hub
home, slurm, hub = lc.home, lc.slurm, lc.hub  # test_lifecycle.py's fixtures

HUB_LIST = [
    {"display_name": "Small", "default": True},
    {"display_name": "Course", "slug": "course",
     "funicular_override": {"server_job": {"cpus": 4, "minutes": 90},
                            "environment": {"COURSE": "hpc101"}}},
]


def _hub_spawner(hub, cmd=None):
    config = lc._config()
    config.FunicularSpawner.profile_list = HUB_LIST
    config.FunicularSpawner.server_job = {"partition": "mc", "image": "notebook"}
    if cmd is not None:
        config.FunicularSpawner.cmd = cmd
    hub.user = lambda: lc.User(hub.row, {"spawner_class": lc._Spawner, "hub": lc.Hub(),
                                         "config": Config(config)})
    return lc.spawner(hub)


async def test_a_start_builds_the_job_of_the_chosen_profile_and_its_settings(hub):
    sp = _hub_spawner(hub)
    sp.user_options = {"profile": "course"}
    await sp.run_pre_spawn_hook()  # JupyterHub's order: the hook, then start()
    await lc.started(hub, sp)
    (job, _, _), = hub.slurm.submits
    assert (job.resources.cpus, job.resources.minutes, job.resources.partition) == (4, 90, "mc")
    env = envfile.read(f"{hub.home}/{lc.SERVER_DIR}/env")
    assert env["COURSE"] == "hpc101"  # an override of Spawner.environment
    await sp.stop()
    sp.clear_state()
    assert sp.environment == {} and sp.server_job == {"partition": "mc", "image": "notebook"}


async def test_a_refused_choice_is_a_400_before_anything_is_set_or_submitted(hub):
    from tornado.web import HTTPError

    sp = _hub_spawner(hub)
    sp.accepted_options = {"profile": "course"}
    sp.user_options = sp.orm_spawner.user_options = {"profile": "gpu-48h"}
    hub.db.commit()
    with pytest.raises(HTTPError) as e:
        await sp.run_pre_spawn_hook()
    assert e.value.status_code == 400 and "profile: 'gpu-48h' is not one of" in \
        e.value.log_message
    hub.db.expire(sp.orm_spawner)
    assert sp.orm_spawner.user_options == {"profile": "course"}
    assert sp.environment == {} and hub.slurm.submits == []


async def test_an_admins_cmd_is_what_the_job_runs(hub):
    sp = _hub_spawner(hub, cmd=["/opt/env/bin/jupyterhub-singleuser"])
    sp.args = ["--debug"]
    await sp.run_pre_spawn_hook()
    task = asyncio.ensure_future(sp.start())
    await lc.until(lambda: hub.slurm.submits or task.done())
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    (job, _, _), = hub.slurm.submits
    argv = list(job.command)
    assert argv[argv.index("funicular-singleuser"):][3:] == [
        "--exec", "--", "/opt/env/bin/jupyterhub-singleuser", "--debug"]
