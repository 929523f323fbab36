"""What the hub hands each notebook server for its follow-on jobs.

The server learns the site (``JobSite``: image catalog, engines and their options,
node helpers, the home on the nodes, how to reach the scheduler) in its env file,
and fetches short-lived slurmrestd tokens for its own user from the hub
(``POST /hub/api/funicular/slurm-token`` with its server token): the cluster's JWT
key never leaves the hub, and a server can only ever get its own user's token.
"""

import time
from collections.abc import Callable

from funicular.core.containers import Bind, available_runtimes
from funicular.core.images.catalog import CatalogImage
from funicular.core.jobs import JobSite, SiteImage
from funicular.core.slurm.rest import sign_jwt


def job_site(catalog: dict[str, CatalogImage], *, engine_options: Callable[[str], dict],
             stage_image: str, binds: tuple[Bind, ...], **fields) -> JobSite:
    """The site as the notebook and its jobs get it. ``catalog``: notebook and job
    images; ``engine_options(name)``: each engine's options; ``fields``: the rest of
    JobSite's (host_home, runtime, scratch, backend, slurmrestd_url...)."""
    images = {name: SiteImage(path=img.path, runtime=img.runtime,
                              description=img.description or img.summary())
              for name, img in catalog.items()}
    return JobSite(
        images=images, runtime_options={e: engine_options(e) for e in available_runtimes()},
        # staging needs an image with Funicular in it: none named, or not in the catalog
        stage_image=stage_image if stage_image in images else None,
        binds=tuple((b.source, b.target) for b in binds), **fields)


def mint_token(key_file: str, user: str, lifespan: int) -> dict:
    """A slurmrestd JWT for ``user`` alone, valid ``lifespan`` seconds."""
    now = int(time.time())
    with open(key_file, "rb") as f:
        token = sign_jwt(f.read(), user, now, lifespan)
    return {"token": token, "expires": now + lifespan}
