"""The admin guide documents every option an admin can set on FunicularSpawner."""

import pathlib

from jupyterhub.spawner import Spawner

from funicular.spawner import FunicularSpawner

GUIDE = pathlib.Path(__file__).resolve().parents[2] / "docs/admin-guide.md"


def test_every_trait_is_documented_and_has_help():
    own = set(FunicularSpawner.class_traits(config=True)) - set(Spawner.class_traits(config=True))
    assert own, "FunicularSpawner defines no options?"
    text = GUIDE.read_text()
    for name in sorted(own):
        trait = FunicularSpawner.class_traits()[name]
        assert trait.help.strip(), f"{name} has no help string"
        assert f"`{name}`" in text, f"{name} is missing from docs/admin-guide.md"
