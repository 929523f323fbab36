"""What the hub, the notebook server and the jobs share: job specs, the launch recipe,
Slurm access, container engines, images, storage, and the hub-server agreement
(hubapi.py). It never imports the spawner, the extension, the widgets or the workshop
service. Object storage needs the ``storage`` extra; the rest, the standard library,
traitlets and (for the async hub client and slurmrestd) tornado.
"""

from .errors import SpecError

__all__ = ["SpecError"]
