"""The hub's start: a configuration that cannot work stops it, naming the key; a good
one starts the orphan sweep. ``App`` stands in for JupyterHub's application object (its
spawner class, config, log, proxy and database are all at_start reads)."""

import logging

import pytest
from traitlets.config import Config

from funicular.spawner import FunicularSpawner, startup


class Sweeping(FunicularSpawner):
    swept: list = []

    def start_sweep(self, proxy, session) -> None:
        Sweeping.swept.append((proxy, session))


class App:
    def __init__(self, **spawner_config):
        self.config = Config()
        for key, value in spawner_config.items():
            setattr(self.config.FunicularSpawner, key, value)
        self.spawner_class = Sweeping
        self.log = logging.getLogger("test-hub")
        self.proxy, self.db = "proxy", "db"


GOOD = {"name": "mc", "display_name": "MC", "partition": "mc", "image": "notebook"}


@pytest.mark.parametrize(("setting", "value", "named"), [
    ("profiles", [{**GOOD, "gpu": 1}], "profile 'mc'"),  # a key no profile has
    ("profiles", [{**GOOD, "image": "nope"}], "profile 'mc'"),
    ("profiles", [], "at least one profile"),
    ("advanced_limits", {"*": {"max_nodez": 2}}, "max_nodez"),
    ("workshops", {"hpc999": {"group": "g"}}, "hpc999"),
    ("volatile_scratch", {"target": "relative"}, "scratch target"),
    ("slurm_backend", "rest", "slurmrestd_jwt_key"),
])
def test_a_broken_setting_stops_the_hub_naming_it(setting, value, named, caplog):
    Sweeping.swept = []
    with pytest.raises(SystemExit, match="configuration cannot work") as stopped:
        startup.at_start(App(**{setting: value}))
    assert named in str(stopped.value)
    assert named in caplog.text and Sweeping.swept == []


def test_a_good_configuration_starts_the_sweep():
    Sweeping.swept = []
    startup.at_start(App(profiles=[GOOD]))
    assert Sweeping.swept == [("proxy", "db")]


def test_another_spawner_class_is_left_alone():
    app = App(profiles=[])
    app.spawner_class = object
    startup.at_start(app)  # nothing to check, nothing raised
