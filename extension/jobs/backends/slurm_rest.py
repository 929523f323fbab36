"""slurmrestd with the user's own short-lived JWT (``hubtokens``): no Slurm binaries
or munge needed in the image."""

from funicular.core.slurm.rest import SlurmREST

from .hubtokens import HubTokens
from .slurm import SlurmJobBackend


class SlurmRESTJobBackend(SlurmJobBackend):
    name = "rest"

    def __init__(self, site, user, env):
        super().__init__(site, user, env)
        if not site.slurmrestd_url:
            raise ValueError("the rest backend needs the site's slurmrestd_url")
        # queries act as the user too: the token is only ever the user's own
        self.slurm = SlurmREST(site.slurmrestd_url, HubTokens.from_env(env),
                               service_user=user)
