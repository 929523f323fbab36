"""core.registry: names to dotted paths, imported when first asked for, with the install
hint when an import fails; a class registered directly is kept as it is."""

import pytest

from funicular.core.registry import Known, Registry


def test_lookup_imports_then_and_caches():
    reg = Registry("codec", {"json": Known("json:JSONDecoder")})
    assert "json" in reg and reg.names() == ["json"]
    import json
    assert reg.get("json") is json.JSONDecoder is reg.get("json")
    with pytest.raises(ValueError, match="unknown codec 'xml'; known: json"):
        reg.get("xml")


def test_a_missing_dependency_says_what_to_install():
    reg = Registry("object store", {"gcs": Known("gcsfs_not_here.core:GCSFileSystem",
                                                 "pip install gcsfs")})
    with pytest.raises(ImportError, match="object store 'gcs' needs gcsfs_not_here; "
                                          "install it with pip install gcsfs"):
        reg.get("gcs")


def test_register_by_path_or_class():
    reg = Registry("engine", {"a": Known("json:JSONDecoder")})

    class Mine:
        pass

    assert reg.register("mine", Mine) is Mine and reg.get("mine") is Mine
    assert reg.known["mine"].path.endswith(":test_register_by_path_or_class.<locals>.Mine")
    with pytest.raises(ValueError, match="'a' is already registered"):
        reg.register("a", "json:JSONEncoder")
    reg.register("a", "json:JSONEncoder", clobber=True)
    import json
    assert reg.get("a") is json.JSONEncoder
