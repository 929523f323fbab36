"""The hub's side of the listener proof (``funicular.core.listener``): before a server
is routed, the process on its reported port must prove it holds the server's token."""

import json
import secrets

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from funicular.core import listener


async def verify(url: str, token: str, timeout: float) -> tuple[bool, str]:
    """Ask ``url`` (the server's base URL) for the proof; (ok, why not)."""
    nonce = secrets.token_hex(16)
    try:
        # with internal_ssl, JupyterHub configures AsyncHTTPClient with its client cert
        resp = await AsyncHTTPClient().fetch(
            f"{url.rstrip('/')}/{listener.PATH}?nonce={nonce}",
            request_timeout=timeout, connect_timeout=timeout)
        answer = json.loads(resp.body).get("proof")
    except HTTPClientError as e:
        return False, f"HTTP {e.code}"
    except (OSError, ValueError, AttributeError, TimeoutError) as e:
        return False, f"{type(e).__name__}: {e}"
    if not listener.matches(token, nonce, answer):
        return False, "the answer does not prove the server's token"
    return True, ""
