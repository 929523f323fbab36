"""A profile's settings on the spawner (spawner/overrides.py): kubespawner's layering,
computed and checked before anything is set, set all or none, and put back after."""

import pytest
from traitlets import Dict, HasTraits, Integer, List, TraitError, Unicode, observe

from funicular.core.errors import SpecError
from funicular.spawner import overrides
from funicular.spawner.profilelist import Override


class Settings(HasTraits):
    """A stand-in spawner: settings of the kinds profiles override."""

    cmd = List(Unicode(), ["jupyterhub-singleuser"])
    environment = Dict({"SITE": "x", "KEEP": "1"})
    server_job = Dict({"partition": "mc", "cpus": 1})
    report_timeout = Integer(3600)
    refuse_odd = Integer(0)

    @observe("refuse_odd")
    def _odd(self, change):
        if change["new"] % 2:
            raise TraitError("odd")


def validate(obj):
    def check(key, value):
        try:
            return obj.traits()[key].validate(obj, value)
        except TraitError as e:
            raise ValueError(str(e)) from None
    return check


async def test_layers_merge_dicts_replace_the_rest_and_call_callables():
    s = Settings()
    seen = []

    async def later(spawner):
        seen.append(spawner)
        return 600

    layers = [Override("p.funicular_override", {"environment": {"A": "1", "KEEP": None},
                                                "server_job": {"partition": "gpu"},
                                                "cmd": ["jupyter-labhub"]}),
              Override("p.o.c.funicular_override", {"server_job": {"gpus": 1},
                                                    "report_timeout": later,
                                                    "cmd": lambda sp: ["wrap", sp.cmd[0]]})]
    got = await overrides.compose(layers, lambda k: getattr(s, k), s)
    assert got.values == {
        "environment": {"SITE": "x", "A": "1"},  # merged; None removed KEEP
        "server_job": {"partition": "gpu", "cpus": 1, "gpus": 1},  # both layers merged
        "cmd": ["wrap", "jupyterhub-singleuser"],  # replaced; the callable saw the spawner
        "report_timeout": 600}  # awaited
    assert seen == [s] and got.origin["server_job"] == "p.o.c.funicular_override"
    assert s.environment == {"SITE": "x", "KEEP": "1"}  # nothing set yet


async def test_a_failing_callable_names_its_override(caplog):
    s = Settings()
    layers = [Override("profile_list[0].funicular_override", {"cmd": lambda sp: 1 / 0})]
    with pytest.raises(SpecError, match=r"profile_list\[0\].funicular_override: 'cmd': the "
                                        r"callable failed \(the hub's log says why\)") as e:
        await overrides.compose(layers, lambda k: getattr(s, k), s)
    # the admin's exception goes to the hub's log, never to the user
    assert "ZeroDivisionError" not in str(e.value) and "ZeroDivisionError" in caplog.text


def test_values_are_checked_against_their_traits_naming_where_they_came_from():
    s = Settings()
    composed = overrides.Composed({"cmd": ["a"], "report_timeout": "soon"},
                                  {"cmd": "x", "report_timeout": "profile_list[3].o"})
    with pytest.raises(SpecError, match=r"profile_list\[3\].o: 'report_timeout': "):
        overrides.check(composed, validate(s))


def test_all_or_none_then_put_back():
    s = Settings()
    with pytest.raises(TraitError):
        overrides.apply(s, {"cmd": ["x"], "report_timeout": 5, "refuse_odd": 3})
    assert (s.cmd, s.report_timeout) == (["jupyterhub-singleuser"], 3600)  # rolled back

    applied = overrides.apply(s, {"cmd": ["x"], "report_timeout": 5})
    assert (s.cmd, s.report_timeout) == (["x"], 5)
    # what a next profile goes over, while this one is still set
    assert overrides.underneath(s, applied)("cmd") == ["jupyterhub-singleuser"]
    assert overrides.underneath(s, applied)("environment") == s.environment
    s.report_timeout = 7  # set since by someone else (JupyterHub's group_overrides)
    overrides.restore(s, applied)
    assert s.cmd == ["jupyterhub-singleuser"] and s.report_timeout == 7
    overrides.restore(s, overrides.NOTHING)  # nothing applied: nothing changes
    assert s.cmd == ["jupyterhub-singleuser"]


def test_settings_a_profile_may_not_set_say_why():
    table = overrides.NOT_PER_PROFILE
    assert "Slurm enforces" in table["mem_limit"] and "server_job" in table["cpu_limit"]
    assert "once" in table["slurm_backend"] and "while the server runs" in table["jobs_backend"]
    assert "cmd" not in table and "server_job" not in table and "environment" not in table
