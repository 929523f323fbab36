"""What the hub hands each notebook server for its follow-on jobs.

The server learns the site (``JobSite``: image catalog, engines and their options,
node helpers, the home on the nodes, how to reach the scheduler) in its env file,
and fetches short-lived slurmrestd tokens for its own user from the hub
(``POST /hub/api/funicular/slurm-token`` with its server token): the cluster's JWT
key never leaves the hub, and a server can only ever get its own user's token.
"""

import time

from funicular.core.containers import available_runtimes
from funicular.core.jobs import JobSite, SiteImage
from funicular.core.slurm.rest import sign_jwt


def job_site(spawner, partitions: tuple[str, ...] = ()) -> JobSite:
    images = {name: SiteImage(path=img.path, runtime=img.runtime,
                              description=img.description or img.summary())
              for name, img in spawner.job_catalog.items()}
    return JobSite(
        images=images, host_home=spawner._home, runtime=spawner.container_runtime,
        runtime_options={e: spawner.engine_options(e) for e in available_runtimes()},
        scratch=dict(spawner.volatile_scratch) or None,
        backend=spawner.jobs_backend,
        slurmrestd_url=spawner.jobs_slurmrestd_url or spawner.slurmrestd_url,
        unicore_url=spawner.jobs_unicore_url or None,
        pmi=spawner.jobs_mpi_plugin, partitions=tuple(partitions),
        # staging needs an image with Funicular in it: none named, or not in the catalog
        stage_image=spawner.jobs_stage_image if spawner.jobs_stage_image in images else None,
        binds=tuple((b.source, b.target) for b in spawner._binds()))


def mint_token(key_file: str, user: str, lifespan: int) -> dict:
    """A slurmrestd JWT for ``user`` alone, valid ``lifespan`` seconds."""
    now = int(time.time())
    with open(key_file, "rb") as f:
        token = sign_jwt(f.read(), user, now, lifespan)
    return {"token": token, "expires": now + lifespan}
