"""Images that say what they need: annotations, host fingerprints, compatibility.

``annotations`` reads the HPC container conformance keys from Charliecloud images
(``/ch/labels``, ``/ch/metadata.json``, SquashFS via ``unsquashfs``) and OCI
layouts; ``fingerprint`` describes a host; ``compat`` compares the two and says, in
words, why an image cannot run somewhere, before a job is queued.
"""

from .annotations import KEYS, read_annotations
from .compat import Problem, check
from .fingerprint import Fingerprint, collect

__all__ = ["KEYS", "Fingerprint", "Problem", "check", "collect", "read_annotations"]
