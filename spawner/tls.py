"""JupyterHub's internal TLS for a server whose node is not known in advance."""

import asyncio
import socket
from collections.abc import Iterable

FILES = (("keyfile", "key.pem"), ("certfile", "cert.pem"), ("cafile", "ca.pem"))


async def alt_names(existing: list[str], nodes: Iterable[str]) -> list[str]:
    """The server's certificate must name whichever compute node Slurm picks: all
    nodes of the cluster, by name and address, go into its alt names."""
    loop = asyncio.get_running_loop()
    names = list(existing)
    for node in sorted(nodes):
        names.append(f"DNS:{node}")
        try:
            for info in await loop.getaddrinfo(node, None, family=socket.AF_INET):
                names.append(f"IP:{info[4][0]}")
        except OSError:
            pass
    return list(dict.fromkeys(names))


def server_files(paths: dict[str, str], rel_dir: str, home_inside: str
                 ) -> tuple[dict[str, str], dict[str, str]]:
    """The hub's key, certificate and CA files for one server: (relative path in the
    home -> content, to write as the user; kind -> path as the container sees it)."""
    files, inside = {}, {}
    for kind, name in FILES:
        with open(paths[kind]) as f:
            files[f"{rel_dir}/{name}"] = f.read()
        inside[kind] = f"{home_inside.rstrip('/')}/{rel_dir}/{name}"
    return files, inside
