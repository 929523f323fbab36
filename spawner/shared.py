"""What every spawner of the hub process shares: one Slurm backend, one status cache
and one cluster view per Slurm setup, and the partitions' fingerprints.

One squeue serves all servers of the hub, and one refresh of the cluster view every
user's spawn form; spawners with equal settings find the same objects here.
"""

from funicular.core.images.fingerprint import Fingerprint, load_fingerprint
from funicular.core.slurm import JobStatusCache
from funicular.core.slurm.backend import SlurmBackend, SlurmSettings, make_backend
from funicular.core.slurm.cluster import ClusterInfoCache

_backends: dict[SlurmSettings, SlurmBackend] = {}
_status: dict[tuple[SlurmSettings, float, float], JobStatusCache] = {}
_cluster: dict[tuple[SlurmSettings, float], ClusterInfoCache] = {}
_fingerprints: dict[tuple[str, str], Fingerprint] = {}


def backend(settings: SlurmSettings) -> SlurmBackend:
    if settings not in _backends:
        _backends[settings] = make_backend(settings)
    return _backends[settings]


def status_cache(settings: SlurmSettings, interval: float, fast: float) -> JobStatusCache:
    key = (settings, interval, fast)
    if key not in _status:
        _status[key] = JobStatusCache(backend(settings), interval=interval,
                                      fast_interval=fast)
    return _status[key]


def cluster_view(settings: SlurmSettings, ttl: float) -> ClusterInfoCache:
    key = (settings, ttl)
    if key not in _cluster:
        _cluster[key] = ClusterInfoCache.of(backend(settings), ttl=ttl)
    return _cluster[key]


def fingerprint(partition: str, configured: dict, directory: str) -> Fingerprint:
    key = (partition, directory)
    if key not in _fingerprints:
        _fingerprints[key] = load_fingerprint(partition, configured, directory or None)
    return _fingerprints[key]
