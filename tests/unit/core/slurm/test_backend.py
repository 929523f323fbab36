"""The Slurm backend interface: both implementations follow it to the signature, and
``make_backend`` is the one place that picks one, refusing incomplete settings."""

import inspect

import pytest

from funicular.core.identity import Policy
from funicular.core.slurm import SlurmBackend, SlurmCLI, SlurmSettings, make_backend
from funicular.core.slurm.rest import JWTSigner, SlurmREST, TokenFile

METHODS = sorted(name for name, value in vars(SlurmBackend).items()
                 if inspect.iscoroutinefunction(value))


def test_the_protocol_names_every_call_the_project_makes():
    assert METHODS == sorted([
        "accounting", "active_jobs", "associations", "cancel", "cancelled_by", "describe",
        "job", "jobs_of", "nodes", "partitions", "query", "reservations", "submit"])


@pytest.mark.parametrize("cls", [SlurmCLI, SlurmREST])
@pytest.mark.parametrize("name", METHODS)
def test_each_backend_has_each_method_with_the_protocols_signature(cls, name):
    want = inspect.signature(getattr(SlurmBackend, name))
    impl = getattr(cls, name, None)
    assert impl is not None and inspect.iscoroutinefunction(impl), f"{cls.__name__}.{name}"
    got = inspect.signature(impl)
    # names, kinds and defaults: what a caller passes must mean the same on both
    assert [(p.name, p.kind, p.default) for p in got.parameters.values()] == \
        [(p.name, p.kind, p.default) for p in want.parameters.values()], f"{cls.__name__}.{name}"


def test_both_backends_are_backends(tmp_path):
    token = tmp_path / "token"
    token.write_text("t")
    for backend in (make_backend(SlurmSettings()),
                    make_backend(SlurmSettings(kind="rest", token_file=str(token)))):
        assert isinstance(backend, SlurmBackend) and backend.timeout == 30


def test_cli_settings_reach_the_commands():
    identity = Policy(min_uid=500, allowed_group="hpc")
    b = make_backend(SlurmSettings(become="runuser", squeue="/opt/slurm/bin/squeue",
                                   sacctmgr="/opt/slurm/bin/sacctmgr", timeout=7,
                                   identity=identity))
    assert isinstance(b, SlurmCLI)
    assert (b.become, b.squeue, b.sacctmgr, b.sbatch, b.timeout, b.identity) == (
        "runuser", "/opt/slurm/bin/squeue", "/opt/slurm/bin/sacctmgr", "sbatch", 7, identity)


def test_rest_prefers_the_key_and_carries_the_rest_of_the_settings():
    identity = Policy(min_uid=500)
    b = make_backend(SlurmSettings(kind="rest", slurmrestd_url="http://restd:6820/",
                                   jwt_key="/etc/slurm/jwt.key", token_file="/t",
                                   service_user="slurmsvc", timeout=5, identity=identity))
    assert isinstance(b, SlurmREST) and isinstance(b.tokens, JWTSigner)
    assert (b.url, b.tokens.key_file, b.service_user, b.timeout, b.identity) == (
        "http://restd:6820", "/etc/slurm/jwt.key", "slurmsvc", 5, identity)
    b = make_backend(SlurmSettings(kind="rest", token_file="/run/slurm/token"))
    assert isinstance(b.tokens, TokenFile) and b.tokens.path == "/run/slurm/token"


@pytest.mark.parametrize("settings, words", [
    (SlurmSettings(kind="rest"), "slurm_backend='rest' needs slurmrestd_jwt_key or "
                                 "slurmrestd_token_file"),
    (SlurmSettings(kind="rest", slurmrestd_url="", jwt_key="/k"), "needs slurmrestd_url"),
    (SlurmSettings(kind="pbs"), "slurm_backend must be one of 'cli', 'rest', not 'pbs'"),
    (SlurmSettings(become="su"), "become must be one of"),
])
def test_incomplete_settings_are_refused_saying_what_is_missing(settings, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        make_backend(settings)


def test_settings_are_a_cache_key():
    a = SlurmSettings(kind="rest", jwt_key="/k", identity=Policy(system_uids=((1, 2),)))
    b = SlurmSettings(kind="rest", jwt_key="/k", identity=Policy(system_uids=((1, 2),)))
    caches = {a: "shared"}
    assert caches[b] == "shared"
    assert SlurmSettings(kind="rest", jwt_key="/other") not in caches
