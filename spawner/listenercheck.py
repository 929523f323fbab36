"""The hub's side of the listener proof (``funicular.core.listener``): before a server
is routed, the process on its reported port must prove it holds the server's token."""

import json
import secrets
import ssl

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from funicular.core import listener


async def verify(url: str, token: str, timeout: float,
                 ssl_context: ssl.SSLContext | None = None) -> tuple[bool, str]:
    """Ask ``url`` (the server's base URL) for the proof; (ok, why not). With internal
    SSL, ``ssl_context`` is the hub's client certificate and the internal CA."""
    nonce = secrets.token_hex(16)
    try:
        resp = await AsyncHTTPClient().fetch(
            f"{url.rstrip('/')}/{listener.PATH}?nonce={nonce}",
            request_timeout=timeout, connect_timeout=timeout, ssl_options=ssl_context)
        answer = json.loads(resp.body).get("proof")
    except HTTPClientError as e:
        return False, f"HTTP {e.code}"
    except (OSError, ValueError, AttributeError, TimeoutError) as e:
        return False, f"{type(e).__name__}: {e}"
    if not listener.matches(token, nonce, answer):
        return False, "the answer does not prove the server's token"
    return True, ""
