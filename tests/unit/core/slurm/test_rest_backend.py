"""The REST backend keeps the contract against a stand-in slurmrestd on loopback: it
submits the batch script it is given, every failure is a SlurmError, and it refuses
the same users as the CLI backend."""

import asyncio
import json

import pytest
from tornado import httpserver, netutil, web

from funicular.core.batchjob import BatchJob, Resources
from funicular.core.errors import IdentityError, SlurmError
from funicular.core.identity import Policy
from funicular.core.slurm.rest import ARGV_PRELUDE, SlurmREST, TokenFile


class _Restd(web.RequestHandler):
    def initialize(self, seen, answers):
        self.seen, self.answers = seen, answers

    async def _any(self, path):
        self.seen.append({"method": self.request.method, "path": "/" + path,
                          "headers": dict(self.request.headers),
                          "body": json.loads(self.request.body or b"null")})
        status, answer, delay = self.answers.get((self.request.method, "/" + path),
                                                 (404, {"errors": [{"error": "no"}]}, 0))
        await asyncio.sleep(delay)
        self.set_status(status)
        self.finish(json.dumps(answer))

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


JOB = BatchJob(name="funicular-default", resources=Resources(partition="mc"),
               command=("ch-run", "$(id)", "--", "jupyterhub-singleuser"),
               workdir="/root", output="/root/slurm-%j.log", warn_signal="USR1@300")
SUBMIT = ("POST", "/slurm/v0.0.38/job/submit")


async def test_submit_sends_the_given_script_with_its_arguments_in_the_environment(
        restd, tmp_path):
    url, seen, answers = restd
    answers[SUBMIT] = (200, {"job_id": 42, "errors": []}, 0)
    script = tmp_path / "launch.sh"
    script.write_text("#!/bin/bash\n# the site's launcher\ntrap '' USR1\n\"$@\"\n")
    job_id = await backend(url, tmp_path).submit(JOB, user="root", script=str(script),
                                                 home="/users/root")
    assert job_id == "42"
    (req,) = seen
    assert req["headers"]["X-Slurm-User-Name"] == "root"
    assert req["headers"]["X-Slurm-User-Token"] == "operator-token"
    body = req["body"]
    assert body["script"] == ("#!/bin/bash\n#SBATCH --signal=B:USR1@300\n" + ARGV_PRELUDE +
                              "# the site's launcher\ntrap '' USR1\n\"$@\"\n")
    env = body["job"]["environment"]
    assert env["FUNICULAR_ARGC"] == "4" and env["FUNICULAR_ARG_1"] == "$(id)"
    assert env["HOME"] == "/users/root" and env["USER"] == "root"
    assert "$(id)" not in body["script"]


async def test_a_script_that_cannot_be_read_is_a_slurm_error_and_nothing_is_sent(
        restd, tmp_path):
    url, seen, _ = restd
    with pytest.raises(SlurmError, match="cannot read the batch script"):
        await backend(url, tmp_path).submit(JOB, user="root", script=str(tmp_path / "none"))
    assert seen == []


async def test_a_slurmrestd_that_does_not_answer_in_time_is_a_slurm_error(restd, tmp_path):
    url, _, answers = restd
    answers[("GET", "/slurm/v0.0.38/jobs")] = (200, {"jobs": []}, 2)
    with pytest.raises(SlurmError, match="slurmrestd"):
        await backend(url, tmp_path, timeout=0.3).active_jobs()


async def test_an_unreadable_token_is_a_slurm_error(restd, tmp_path):
    url, seen, _ = restd
    b = SlurmREST(url, TokenFile(str(tmp_path / "no-token")))
    with pytest.raises(SlurmError, match="no slurmrestd token"):
        await b.partitions()
    assert seen == []


async def test_a_job_slurm_forgot_is_none_and_a_failure_is_an_error(restd, tmp_path):
    url, _, answers = restd
    b = backend(url, tmp_path)
    answers[("GET", "/slurm/v0.0.38/job/7")] = (500, {"errors": [
        {"error_number": 2017, "error": "Invalid job id specified"}]}, 0)
    assert await b.job("7") is None and await b.describe("7") == {}
    answers[("GET", "/slurm/v0.0.38/job/7")] = (500, {"errors": [
        {"error_number": 1007, "error": "Protocol authentication error"}]}, 0)
    with pytest.raises(SlurmError, match="Protocol authentication error"):
        await b.job("7")
    assert await b.describe("7") == {}  # best effort


async def test_jobs_of_participants(restd, tmp_path):
    url, seen, answers = restd
    answers[("GET", "/slurm/v0.0.38/jobs")] = (200, {"jobs": [
        {"job_id": 1, "user_name": "ws001", "job_state": "COMPLETING", "name": "n"},
        {"job_id": 2, "user_name": "ws002", "job_state": "COMPLETED", "name": "n"},
        {"job_id": 3, "user_name": "alice", "job_state": "RUNNING", "name": "n"}]}, 0)
    b = backend(url, tmp_path)
    assert [(j.job_id, j.user) for j in await b.jobs_of(["ws001", "ws002"])] == [("1", "ws001")]
    assert seen[-1]["headers"]["X-Slurm-User-Name"] == "slurm"
    n = len(seen)
    assert await b.jobs_of([]) == [] and len(seen) == n


async def test_bad_job_ids_are_refused_before_any_request(restd, tmp_path):
    url, seen, _ = restd
    with pytest.raises(ValueError):
        await backend(url, tmp_path).query(["12", "12;rm"])
    assert seen == []


async def test_cancel_checks_only_the_uid_floor_as_the_cli_does(restd, tmp_path):
    """root is the one account a test can count on: let the floor admit it, and the
    site's group (which root is not in) refuse it."""
    url, seen, answers = restd
    answers[("DELETE", "/slurm/v0.0.38/job/5")] = (200, {"errors": []}, 0)
    site = Policy(min_uid=0, allowed_group="no-such-group-here", system_uids=())
    b = backend(url, tmp_path, identity=site)
    await b.cancel("5", user="root")
    assert seen[-1]["method"] == "DELETE"
    with pytest.raises(IdentityError, match="no-such-group-here"):
        await b.submit(JOB, user="root", script=str(tmp_path / "token"))
    floor = Policy(min_uid=1, system_uids=())
    with pytest.raises(IdentityError, match="system account"):
        await backend(url, tmp_path, identity=floor).cancel("5", user="root")
