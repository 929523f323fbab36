"""Which dialect to speak: the newest one a slurmrestd serves that Funicular knows, read
from the paths of its own OpenAPI description (those of 22.05.8 and 24.11.5 as they
serve them), and the dialect a command's JSON names in its ``meta``."""

import re

import pytest

from funicular.core.errors import SlurmError
from funicular.core.slurm import versions

from .answers import META_2205, meta, spec, spec_of

URL = "http://restd:6820"


def test_slurm_22_05_is_spoken_to_in_v0_0_38():
    api = versions.choose(spec("22.05.8"), URL)
    assert (api.slurm, api.slurmdb, api.release) == ("v0.0.38", "v0.0.38", None)


def test_slurm_24_11_is_spoken_to_in_the_newest_it_serves():
    assert versions.served(spec("24.11.5")) == ({"v0.0.40", "v0.0.41", "v0.0.42"},) * 2
    api = versions.choose(spec("24.11.5"), URL)
    assert (api.slurm, api.slurmdb, api.release, api.url) == (
        "v0.0.42", "v0.0.42", "24.11.5", URL)
    # a site that loads only some data parsers (slurmrestd -d v0.0.40,v0.0.41)
    assert versions.choose(spec("24.11.5", only=("v0.0.40", "v0.0.41")), URL).slurm == \
        "v0.0.41"
    assert versions.choose(spec("24.11.5", only=("v0.0.40",)), URL).slurm == "v0.0.40"


def test_several_known_and_unknown_ones_the_newest_known_wins():
    # 22.05's default set (v0.0.36 to v0.0.38), and a future release's next to ours
    s = spec_of("/slurm/v0.0.36/jobs", "/slurm/v0.0.37/jobs", "/slurm/v0.0.38/jobs",
                "/slurmdb/v0.0.37/jobs", "/openapi/v3")
    api = versions.choose(s, URL)
    assert (api.slurm, api.slurmdb) == ("v0.0.38", None)  # no slurmdb dialect we know
    s = spec_of("/slurm/v0.0.42/jobs", "/slurm/v0.0.43/jobs", "/slurm/v0.0.44/jobs",
                "/slurmdb/v0.0.44/jobs", "/slurmdb/v0.0.41/jobs")
    api = versions.choose(s, URL)
    assert (api.slurm, api.slurmdb) == ("v0.0.42", "v0.0.41")


@pytest.mark.parametrize("paths, words", [
    (("/slurm/v0.0.37/jobs", "/slurmdb/v0.0.38/jobs"),
     "slurmrestd at http://restd:6820 serves v0.0.37 only; Funicular speaks v0.0.38, "
     "v0.0.40, v0.0.41, v0.0.42"),
    (("/slurm/v0.0.43/jobs", "/slurm/v0.0.39/job/submit", "/slurm/v0.0.44/jobs"),
     "serves v0.0.39, v0.0.43, v0.0.44 only; Funicular speaks"),
    (("/openapi/v3", "/slurmdb/v0.0.42/jobs"), "serves no /slurm/ API version"),
])
def test_a_server_with_no_known_version_is_refused_naming_what_it_serves(paths, words):
    with pytest.raises(SlurmError, match=re.escape(words)):
        versions.choose(spec_of(*paths), URL)


@pytest.mark.parametrize("answer", [None, [], {"info": {}}, {"paths": []}, "<html>"])
def test_an_answer_that_is_no_openapi_description_is_refused(answer):
    with pytest.raises(SlurmError, match="no OpenAPI description"):
        versions.choose(answer, URL)


def test_versions_order_by_number_not_by_text():
    assert versions.key("v0.0.100") > versions.key("v0.0.42") > versions.key("v0.0.9")
    assert versions.key("dbv0.0.38") == (-1, -1, -1)
    assert versions.spoken() == "v0.0.38, v0.0.40, v0.0.41, v0.0.42"


def test_the_release_and_dialect_a_commands_json_names():
    assert versions.release(META_2205) == (22, 5, 8)
    assert versions.release(meta()) == (24, 11, 5)
    # 22.05's version parts are integers, 24.11's strings
    assert versions.release({"Slurm": {"version": {"major": 22, "minor": 5, "micro": 2}}}) \
        == (22, 5, 2)
    assert versions.release({"slurm": {"version": {"major": "24", "minor": "11"}}}) == \
        (24, 11, 0)
    assert versions.release({}) is None and versions.release("x") is None
    assert versions.data_parser(META_2205) == "v0.0.38"
    assert versions.data_parser(meta("v0.0.41", command=("show", "node"))) == "v0.0.41"
    assert versions.data_parser({"plugin": {"type": ""}}) is None


@pytest.mark.parametrize("text, release, parser", [
    ("slurm 22.05.8\n", (22, 5, 8), None),           # no scontrol --json
    ("slurm-wlm 24.11.5\n", (24, 11, 5), "v0.0.42"),
    ("slurm 24.05.3\n", (24, 5, 3), "v0.0.41"),
    ("slurm 23.11.10\n", (23, 11, 10), "v0.0.40"),
    ("slurm 23.02.7\n", (23, 2, 7), None),           # v0.0.39: not checked, read as text
    ("slurm 25.05.0\n", (25, 5, 0), None),           # v0.0.43: not checked, read as text
    ("", None, None),
])
def test_which_releases_commands_write_json_funicular_reads(text, release, parser):
    assert versions.parse_release(text) == release
    assert versions.command_parser(release) == parser
