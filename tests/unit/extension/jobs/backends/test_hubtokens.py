"""The user's credentials from the hub (Slurm tokens, UNICORE credentials): asked for
with the server's own token in a header, kept until a third of its life is left or
until refused, and a hub that gives none is a SlurmError that says so without the
token."""

import time

import pytest

from funicular.core.errors import SlurmError
from funicular.core.hubapi import ROUTE_SLURM_TOKEN, HubClient
from funicular.extension.jobs.backends.hubtokens import HubTokens

from ...fakehub import FakeHub


@pytest.fixture
async def hub():
    h = FakeHub().start()
    yield h
    h.stop()


def _tokens(hub) -> HubTokens:
    return HubTokens(HubClient(hub.url, "server-token", timeout=5))


async def test_a_token_is_fetched_once_and_again_when_a_third_is_left(hub):
    hub.answers[ROUTE_SLURM_TOKEN] = (200, {"token": "jwt-1", "expires": time.time() + 600})
    tokens = _tokens(hub)
    assert await tokens.headers("alice") == {"X-SLURM-USER-NAME": "alice",
                                             "X-SLURM-USER-TOKEN": "jwt-1"}
    assert await tokens.token() == "jwt-1" and len(hub.requests) == 1
    ((uri, headers, _),) = hub.requests
    assert uri == "/hub/api" + ROUTE_SLURM_TOKEN
    assert headers["Authorization"] == "token server-token"
    hub.answers[ROUTE_SLURM_TOKEN] = (200, {"token": "jwt-2", "expires": time.time() + 600})
    tokens._expires = time.time() + 150  # under a third of its 600 s
    assert await tokens.token() == "jwt-2" and len(hub.requests) == 2


@pytest.mark.parametrize(("answer", "words"), [
    ((403, {"message": "this token belongs to no server that is running"}),
     "the hub gave no Slurm token: hub API: HTTP 403: this token belongs to no server"),
    ((200, {"expires": 1}), "the hub gave no Slurm token"),
    ((200, {"token": "jwt", "expires": "soon"}), "the hub gave no Slurm token"),
])
async def test_a_hub_that_gives_no_token_is_a_slurm_error(hub, answer, words):
    hub.answers[ROUTE_SLURM_TOKEN] = answer
    with pytest.raises(SlurmError, match=words) as e:
        await _tokens(hub).token()
    assert "server-token" not in str(e.value)


async def test_an_unreachable_hub_is_a_slurm_error(hub):
    hub.stop()
    with pytest.raises(SlurmError, match="cannot get a Slurm token from the hub"):
        await _tokens(hub).token()


async def test_another_route_names_its_credential_keeps_its_kind_and_can_forget(hub):
    from funicular.core.hubapi import ROUTE_UNICORE_TOKEN

    tokens = HubTokens(HubClient(hub.url, "server-token", timeout=5),
                       route=ROUTE_UNICORE_TOKEN, what="UNICORE credential")
    hub.answers[ROUTE_UNICORE_TOKEN] = (200, {"token": "etd-1", "kind": "jwt",
                                              "expires": time.time() + 300})
    assert await tokens.token() == "etd-1" and tokens.kind == "jwt"
    assert hub.requests[-1][0] == "/hub/api" + ROUTE_UNICORE_TOKEN
    tokens.forget()  # refused where it was shown: the next call asks again
    hub.answers[ROUTE_UNICORE_TOKEN] = (200, {"token": "etd-2", "expires": time.time() + 300})
    assert await tokens.token() == "etd-2" and tokens.kind is None
    assert len(hub.requests) == 2
    hub.answers[ROUTE_UNICORE_TOKEN] = (404, {"message": "this hub hands out no UNICORE "
                                                         "credential"})
    tokens.forget()
    with pytest.raises(SlurmError, match="the hub gave no UNICORE credential: .*HTTP 404"):
        await tokens.token()
