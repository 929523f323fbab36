"""Proof that the server listening on a reported port is that job's server.

A compute node is shared: another user's process could listen on the port a server
reported. The hub asks the listener for an HMAC of a fresh nonce, keyed with the
server's API token, which only the real server holds (its 0600 env file); the nonce
is new each time, so an answer cannot be replayed, and the request carries no
secret. Both sides take the formula from here and the route from ``core.hubapi``.
"""

import hashlib
import hmac
import re

from .hubapi import SERVER_LISTENER_PROOF

# under the server's base URL; the name spawner/listenercheck.py and
# extension/listener.py use
PATH = SERVER_LISTENER_PROOF
_NONCE = re.compile(r"[0-9a-f]{32}")


def valid_nonce(nonce: str) -> bool:
    return isinstance(nonce, str) and bool(_NONCE.fullmatch(nonce))


def proof(token: str, nonce: str) -> str:
    if not token or not valid_nonce(nonce):
        raise ValueError("a token and a 32-hex-digit nonce are needed")
    return hmac.new(token.encode(), f"funicular-listener:{nonce}".encode(),
                    hashlib.sha256).hexdigest()


def matches(token: str, nonce: str, answer: object) -> bool:
    return isinstance(answer, str) and hmac.compare_digest(proof(token, nonce), answer)
