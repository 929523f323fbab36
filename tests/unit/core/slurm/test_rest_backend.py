"""The REST backend keeps the contract against a stand-in slurmrestd on loopback, of
Slurm 22.05 (v0.0.38) and of 24.11 (v0.0.40 to v0.0.42): it asks once which versions
the server serves and speaks the newest it knows, in that version's paths and shapes;
it submits the batch script it is given, every failure is a SlurmError, and it refuses
the same users as the CLI backend."""

import asyncio
import json

import pytest
from tornado import httpserver, netutil, web

from funicular.core.batchjob import BatchJob, Resources
from funicular.core.errors import IdentityError, SlurmError
from funicular.core.identity import Policy
from funicular.core.slurm import SlurmSettings, check_rest, jobjson
from funicular.core.slurm.rest import ARGV_PRELUDE, SlurmREST, TokenFile

from .answers import (
    ASSOCIATIONS_2411,
    NODES_2411,
    PARTITIONS_2411,
    RECORDED_2205,
    RESERVATIONS_2411,
    accounted_2205,
    accounted_2411,
    answer,
    job_2205,
    job_2411,
    killed,
    spec,
    spec_of,
)

OPENAPI = ("GET", "/openapi/v3")


class _Restd(web.RequestHandler):
    def initialize(self, seen, answers):
        self.seen, self.answers = seen, answers

    async def _any(self, path):
        self.seen.append({"method": self.request.method, "path": "/" + path,
                          "query": self.request.query,
                          "headers": dict(self.request.headers),
                          "body": json.loads(self.request.body or b"null")})
        status, answer, delay = self.answers.get((self.request.method, "/" + path),
                                                 (404, {"errors": [{"error": "no"}]}, 0))
        await asyncio.sleep(delay)
        self.set_status(status)
        self.finish(answer if isinstance(answer, str) else json.dumps(answer))

    get = post = delete = _any


@pytest.fixture
async def restd(tmp_path):
    """(url, requests seen, answers by (method, path)) of a loopback slurmrestd."""
    seen, answers = [], {}
    app = web.Application([(r"/(.*)", _Restd, {"seen": seen, "answers": answers})])
    (sock,) = netutil.bind_sockets(0, "127.0.0.1")
    server = httpserver.HTTPServer(app)
    server.add_sockets([sock])
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", seen, answers
    server.stop()


def backend(url, tmp_path, **kw) -> SlurmREST:
    token = tmp_path / "token"
    token.write_text("operator-token\n")
    return SlurmREST(url, TokenFile(str(token)), service_user="slurm", **kw)


def asked(seen, method="GET", path="/openapi/v3") -> int:
    return sum(1 for r in seen if (r["method"], r["path"]) == (method, path))


# a release, the version spoken to it, and a job record in its shapes
RELEASES = {"22.05.8": ("v0.0.38", job_2205), "24.11.5": ("v0.0.42", job_2411)}


@pytest.fixture(params=sorted(RELEASES))
def release(request, restd):
    """A stand-in of that release: (url, seen, answers, version, job record maker)."""
    url, seen, answers = restd
    answers[OPENAPI] = (200, spec(request.param), 0)
    return (url, seen, answers, *RELEASES[request.param])


JOB = BatchJob(name="funicular-default", resources=Resources(partition="mc", gpus=1),
               command=("ch-run", "$(id)", "--", "jupyterhub-singleuser"),
               workdir="/root", output="/root/slurm-%j.log", warn_signal="USR1@300")


# ------------------------------------------------------------------ submitting
async def test_submit_sends_the_given_script_with_its_arguments_in_the_environment(
        release, tmp_path):
    url, seen, answers, version, _ = release
    answers[("POST", f"/slurm/{version}/job/submit")] = (200, {"job_id": 42, "errors": []}, 0)
    script = tmp_path / "launch.sh"
    script.write_text("#!/bin/bash\n# the site's launcher\ntrap '' USR1\n\"$@\"\n")
    job_id = await backend(url, tmp_path).submit(JOB, user="root", script=str(script),
                                                 home="/users/root")
    assert job_id == "42"
    negotiation, req = seen
    assert negotiation["path"] == "/openapi/v3"
    assert negotiation["headers"]["X-Slurm-User-Name"] == "slurm"  # the service user
    assert req["path"] == f"/slurm/{version}/job/submit"
    assert req["headers"]["X-Slurm-User-Name"] == "root"
    assert req["headers"]["X-Slurm-User-Token"] == "operator-token"
    body = req["body"]
    if version == "v0.0.38":
        script_text, env = body["script"], body["job"]["environment"]
        assert body["job"]["gres"] == "gpu:1"
    else:  # the data parsers: the script in the job, the environment NAME=value
        assert "script" not in body and body["job"]["tres_per_node"] == "gres/gpu:1"
        script_text = body["job"]["script"]
        env = dict(e.split("=", 1) for e in body["job"]["environment"])
        assert body["job"]["kill_warning_signal"] == "USR1"
    assert script_text == ("#!/bin/bash\n#SBATCH --signal=B:USR1@300\n" + ARGV_PRELUDE +
                           "# the site's launcher\ntrap '' USR1\n\"$@\"\n")
    assert env["FUNICULAR_ARGC"] == "4" and env["FUNICULAR_ARG_1"] == "$(id)"
    assert env["HOME"] == "/users/root" and env["USER"] == "root"
    assert "$(id)" not in script_text


async def test_a_script_that_cannot_be_read_is_a_slurm_error_and_nothing_is_sent(
        restd, tmp_path):
    url, seen, _ = restd
    with pytest.raises(SlurmError, match="cannot read the batch script"):
        await backend(url, tmp_path).submit(JOB, user="root", script=str(tmp_path / "none"))
    assert seen == []


async def test_a_submission_without_a_job_id_is_an_error(release, tmp_path):
    url, _, answers, version, _ = release
    answers[("POST", f"/slurm/{version}/job/submit")] = (200, {"job_id": "42x"}, 0)
    script = tmp_path / "launch.sh"
    script.write_text("#!/bin/sh\n")
    with pytest.raises(SlurmError, match="no job id"):
        await backend(url, tmp_path).submit(JOB, user="root", script=str(script))


# ------------------------------------------------------------------ negotiating
async def test_the_version_is_asked_once_however_many_calls_and_callers(restd, tmp_path):
    url, seen, answers = restd
    answers[OPENAPI] = (200, spec("24.11.5"), 0.2)
    answers[("GET", "/slurm/v0.0.42/jobs")] = (200, answer(jobs=[]), 0)
    b = backend(url, tmp_path)
    await asyncio.gather(b.active_jobs(), b.jobs_of(["alice"]), b.query(["7"]))
    await b.active_jobs()
    assert asked(seen) == 1 and asked(seen, path="/slurm/v0.0.42/jobs") == 4
    assert (await b.api()).release == "24.11.5"


async def test_a_server_that_serves_some_data_parsers_gets_the_newest_of_them(restd, tmp_path):
    url, seen, answers = restd
    answers[OPENAPI] = (200, spec("24.11.5", only=("v0.0.40", "v0.0.41")), 0)
    answers[("GET", "/slurm/v0.0.41/nodes")] = (200, answer("v0.0.41", nodes=NODES_2411), 0)
    nodes = await backend(url, tmp_path).nodes()
    assert [x.name for x in nodes] == ["gpu1", "mc1", "mc2"]
    assert seen[-1]["path"] == "/slurm/v0.0.41/nodes"


async def test_a_server_of_no_version_we_know_is_refused_and_asked_again_later(
        restd, tmp_path):
    url, seen, answers = restd
    answers[OPENAPI] = (200, spec_of("/slurm/v0.0.37/jobs", "/slurmdb/v0.0.37/jobs"), 0)
    b = backend(url, tmp_path)
    with pytest.raises(SlurmError, match=rf"slurmrestd at {url} serves v0\.0\.37 only; "
                       r"Funicular speaks v0\.0\.38, v0\.0\.40, v0\.0\.41, v0\.0\.42"):
        await b.partitions()
    assert [r["path"] for r in seen] == ["/openapi/v3"]  # nothing else was asked
    # upgraded meanwhile: a failure is not kept
    answers[OPENAPI] = (200, spec("22.05.8"), 0)
    answers[("GET", "/slurm/v0.0.38/partitions")] = (200, {"partitions": []}, 0)
    assert await b.partitions() == [] and asked(seen) == 2


@pytest.mark.parametrize("status, body, words", [
    (404, {"errors": [{"error": "Unable find requested URL"}]},
     "has no /openapi/v3 \\(HTTP 404\\): cannot tell which API versions it serves"),
    (401, "Authentication failure", "GET /openapi/v3: HTTP 401"),
    (200, "<html>not json</html>", "answered /openapi/v3 with no OpenAPI description"),
])
async def test_a_server_that_does_not_describe_itself_is_an_error(
        restd, tmp_path, status, body, words):
    url, seen, answers = restd
    answers[OPENAPI] = (status, body, 0)
    with pytest.raises(SlurmError, match=f"slurmrestd at {url}.*{words}"):
        await backend(url, tmp_path).active_jobs()
    assert len(seen) == 1


async def test_a_description_that_does_not_come_in_time_is_an_error(restd, tmp_path):
    url, _, answers = restd
    answers[OPENAPI] = (200, spec("24.11.5"), 2)
    with pytest.raises(SlurmError, match=r"did not answer GET /openapi/v3 within 0\.3 s"):
        await backend(url, tmp_path, timeout=0.3).active_jobs()


async def test_nothing_listens_is_an_error(tmp_path):
    (sock,) = netutil.bind_sockets(0, "127.0.0.1")
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(SlurmError, match="unreachable"):
        await backend(f"http://127.0.0.1:{port}", tmp_path, timeout=2).partitions()


async def test_a_pinned_version_is_spoken_without_asking(restd, tmp_path):
    url, seen, answers = restd
    answers[("GET", "/slurm/v0.0.40/jobs")] = (200, answer("v0.0.40", jobs=[]), 0)
    assert await backend(url, tmp_path, version="v0.0.40").active_jobs() == []
    assert [r["path"] for r in seen] == ["/slurm/v0.0.40/jobs"]
    with pytest.raises(SlurmError, match="v0.0.37"):
        backend(url, tmp_path, version="v0.0.37")


async def test_the_hub_asks_at_start(release, tmp_path):
    url, seen, _, version, _ = release
    token = tmp_path / "token"
    token.write_text("t")
    settings = SlurmSettings(kind="rest", slurmrestd_url=url, token_file=str(token))
    assert await check_rest(settings) == version
    b = backend(url, tmp_path)
    assert await check_rest(b) == version and asked(seen) == 2
    await check_rest(b)  # the backend keeps what it was told
    assert asked(seen) == 2
    with pytest.raises(ValueError, match="slurm_backend='rest'"):
        await check_rest(SlurmSettings())


async def test_the_hub_is_told_why_at_start(restd, tmp_path):
    url, _, answers = restd
    answers[OPENAPI] = (200, spec_of("/slurm/v0.0.36/jobs"), 0)
    with pytest.raises(SlurmError, match="serves v0.0.36 only"):
        await check_rest(backend(url, tmp_path))


# ------------------------------------------------------------------ the contract
async def test_a_slurmrestd_that_does_not_answer_in_time_is_a_slurm_error(release, tmp_path):
    url, _, answers, version, _ = release
    answers[("GET", f"/slurm/{version}/jobs")] = (200, {"jobs": []}, 2)
    with pytest.raises(SlurmError, match=f"slurmrestd at {url} did not answer GET "
                                         f"/slurm/{version}/jobs within 0.3 s"):
        await backend(url, tmp_path, timeout=0.3).active_jobs()


async def test_an_unreadable_token_is_a_slurm_error(restd, tmp_path):
    url, seen, _ = restd
    b = SlurmREST(url, TokenFile(str(tmp_path / "no-token")))
    with pytest.raises(SlurmError, match="no slurmrestd token"):
        await b.partitions()
    assert seen == []


async def test_a_job_slurm_forgot_is_none_and_a_failure_is_an_error(release, tmp_path):
    url, _, answers, version, make = release
    b = backend(url, tmp_path)
    answers[("GET", f"/slurm/{version}/job/7")] = (500, {"errors": [
        {"error_number": 2017, "error": "Invalid job id specified"}]}, 0)
    assert await b.job("7") is None and await b.describe("7") == {}
    answers[("GET", f"/slurm/{version}/job/7")] = (500, {"errors": [
        {"error_number": 1007, "error": "Protocol authentication error"}]}, 0)
    with pytest.raises(SlurmError, match="Protocol authentication error"):
        await b.job("7")
    assert await b.describe("7") == {}  # best effort
    answers[("GET", f"/slurm/{version}/job/7")] = (200, {"jobs": [
        make(7, "alice", name="n\u2028x", comment="c"), make(8, "bob")]}, 0)
    j = await b.job("7")
    assert (j.job_id, j.user, j.name, j.comment, j.state) == (
        "7", "alice", "n\u2028x", "c", "RUNNING")
    d = await b.describe("7")
    assert d["JobState"] == "RUNNING" and d["BatchHost"] == "mc1" and d["ExitCode"] == "0:0"


async def test_jobs_of_participants(release, tmp_path):
    url, seen, answers, version, make = release
    modern = version != "v0.0.38"

    def state(*words):
        return list(words) if modern else words[0]
    answers[("GET", f"/slurm/{version}/jobs")] = (200, {"jobs": [
        make(1, "ws001", state("RUNNING", "COMPLETING") if modern else "COMPLETING"),
        make(2, "ws002", state("COMPLETED")), make(3, "alice", state("RUNNING"))]}, 0)
    b = backend(url, tmp_path)
    assert [(j.job_id, j.user) for j in await b.jobs_of(["ws001", "ws002"])] == [("1", "ws001")]
    assert seen[-1]["headers"]["X-Slurm-User-Name"] == "slurm"
    n = len(seen)
    assert await b.jobs_of([]) == [] and len(seen) == n
    info = await b.query(["3", "2", "9"])
    assert set(info) == {"3", "2"} and info["3"].running and info["3"].end_time == \
        jobjson.iso(make(3, "alice")["end_time"])


async def test_bad_job_ids_are_refused_before_any_request(restd, tmp_path):
    url, seen, _ = restd
    b = backend(url, tmp_path)
    with pytest.raises(ValueError):
        await b.query(["12", "12;rm"])
    for call in (b.job("1/../x"), b.cancel("1 2", user="root"), b.describe("x")):
        with pytest.raises(ValueError):
            await call
    assert seen == []


async def test_cancel_checks_only_the_uid_floor_as_the_cli_does(release, tmp_path):
    """root is the one account a test can count on: let the floor admit it, and the
    site's group (which root is not in) refuse it."""
    url, seen, answers, version, _ = release
    answers[("DELETE", f"/slurm/{version}/job/5")] = (200, answer(), 0)
    site = Policy(min_uid=0, allowed_group="no-such-group-here", system_uids=())
    b = backend(url, tmp_path, identity=site)
    await b.cancel("5", user="root", signal="USR1")
    assert (seen[-1]["method"], seen[-1]["query"]) == ("DELETE", "signal=USR1")
    n = len(seen)
    with pytest.raises(IdentityError, match="no-such-group-here"):
        await b.submit(JOB, user="root", script=str(tmp_path / "token"))
    floor = Policy(min_uid=1, system_uids=())
    with pytest.raises(IdentityError, match="system account"):
        await backend(url, tmp_path, identity=floor).cancel("5", user="root")
    assert len(seen) == n  # refused before anything was asked, the version included


async def test_cancel_reads_each_jobs_outcome_in_v0_0_42(restd, tmp_path):
    url, _, answers = restd
    answers[OPENAPI] = (200, spec("24.11.5"), 0)
    b = backend(url, tmp_path)
    answers[("DELETE", "/slurm/v0.0.42/job/5")] = (200, killed((5, 0, "")), 0)
    await b.cancel("5", user="root")
    answers[("DELETE", "/slurm/v0.0.42/job/5")] = (
        200, killed((5, 2017, "Invalid job id specified")), 0)
    await b.cancel("5", user="root")  # Slurm forgot it: nothing to do
    answers[("DELETE", "/slurm/v0.0.42/job/5")] = (
        200, killed((5, 2002, "Access/permission denied")), 0)
    with pytest.raises(SlurmError, match="Access/permission denied"):
        await b.cancel("5", user="root")


# ------------------------------------------------------------------ the cluster view
async def test_the_cluster_view_of_24_11(restd, tmp_path):
    url, seen, answers = restd
    answers[OPENAPI] = (200, spec("24.11.5"), 0)
    answers[("GET", "/slurm/v0.0.42/partitions")] = (200, answer(partitions=PARTITIONS_2411), 0)
    answers[("GET", "/slurm/v0.0.42/nodes")] = (200, answer(nodes=NODES_2411), 0)
    answers[("GET", "/slurm/v0.0.42/reservations")] = (
        200, answer(reservations=RESERVATIONS_2411), 0)
    answers[("GET", "/slurmdb/v0.0.42/associations")] = (
        200, answer(associations=ASSOCIATIONS_2411), 0)
    b = backend(url, tmp_path)
    parts = {p.name: p for p in await b.partitions()}
    assert parts["mc"].up and parts["mc"].max_minutes == 1440 and not parts["gpu"].up
    assert seen[-1]["query"] == "flags=ALL"  # hidden ones too, as v0.0.38 lists them
    assert {x.name: x.state for x in await b.nodes()} == {
        "gpu1": "IDLE", "mc1": "MIXED", "mc2": "IDLE+DRAIN"}
    assert [r.name for r in await b.reservations()] == ["course", "later"]
    assert [(a.user, a.account) for a in await b.associations()] == [
        ("alice", "physics"), ("bob", "physics")]


async def test_the_cluster_view_of_22_05(restd, tmp_path):
    url, seen, answers = restd
    answers[OPENAPI] = (200, spec("22.05.8"), 0)
    for kind in ("partitions", "nodes", "reservations"):
        answers[("GET", f"/slurm/v0.0.38/{kind}")] = (200, {kind: RECORDED_2205[kind]}, 0)
    answers[("GET", "/slurmdb/v0.0.38/associations")] = (
        200, {"associations": RECORDED_2205["associations"]}, 0)
    b = backend(url, tmp_path)
    parts = {p.name: p for p in await b.partitions()}
    assert parts["mc"].default and seen[-1]["query"] == ""
    assert {x.name for x in await b.nodes()} == {"gpu1", "mc1", "mc2"}
    assert [r.name for r in await b.reservations()] == ["course"]
    assert ("bob", "physics", None) in [(a.user, a.account, a.partition)
                                        for a in await b.associations()]


@pytest.mark.parametrize("rel, version, record", [("22.05.8", "v0.0.38", accounted_2205),
                                                   ("24.11.5", "v0.0.42", accounted_2411)])
async def test_accounting_in_both_dialects(restd, tmp_path, rel, version, record):
    url, _, answers = restd
    answers[OPENAPI] = (200, spec(rel), 0)
    answers[("GET", f"/slurmdb/{version}/job/41")] = (200, {"jobs": [record()]}, 0)
    b = backend(url, tmp_path)
    (row,) = await b.accounting("41")
    assert (row["JobID"], row["State"], row["ExitCode"]) == ("41", "CANCELLED", "0:9")
    assert await b.cancelled_by("41") == 0  # root
    assert await b.accounting("42") == [] and await b.cancelled_by("42") is None


async def test_a_failed_jobs_exit_code_on_22_05_comes_from_slurmctld(restd, tmp_path):
    """22.05's slurmdbd says SUCCESS/0 for a FAILED job (sacct says 3:0): the code is
    slurmctld's wait status while it still holds the job, and unknown after."""
    url, _, answers = restd
    answers[OPENAPI] = (200, spec("22.05.8"), 0)
    failed = accounted_2205(state={"current": "FAILED", "reason": "None"},
                            exit_code={"status": "SUCCESS", "return_code": 0})
    answers[("GET", "/slurmdb/v0.0.38/job/41")] = (200, {"jobs": [failed]}, 0)
    answers[("GET", "/slurm/v0.0.38/job/41")] = (
        200, {"jobs": [{"job_id": 41, "job_state": "FAILED", "exit_code": 3 << 8}]}, 0)
    b = backend(url, tmp_path)
    (row,) = await b.accounting("41")
    assert (row["State"], row["ExitCode"]) == ("FAILED", "3:0")
    answers[("GET", "/slurm/v0.0.38/job/41")] = (200, {"jobs": []}, 0)  # gone (MinJobAge)
    (row,) = await b.accounting("41")
    assert (row["State"], row["ExitCode"]) == ("FAILED", "")


async def test_a_server_without_slurmdbd_paths(restd, tmp_path):
    """22.05 started with ``-s openapi/v0.0.38`` only, as the box runs it."""
    url, seen, answers = restd
    answers[OPENAPI] = (200, spec("22.05.8", only=("/slurm/v0.0.38",)), 0)
    b = backend(url, tmp_path)
    assert await b.accounting("41") == [] and await b.cancelled_by("41") is None
    with pytest.raises(SlurmError, match="serves no /slurmdb/ API version"):
        await b.associations()
    assert [r["path"] for r in seen] == ["/openapi/v3"]
