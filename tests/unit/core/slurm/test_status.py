"""The shared status cache cannot be poisoned: one bad id would fail the one squeue
every spawner of the hub relies on (a 50-participant burst found this: a server
reported before the hub had its job id, and every other start then failed)."""

import pytest

from funicular.core.slurm.status import JobStatusCache


class _Slurm:
    def __init__(self):
        self.asked = []

    async def query(self, ids):
        self.asked.append(list(ids))
        return {}


@pytest.mark.parametrize("bad", [None, "", 42])
async def test_a_bad_job_id_is_refused_and_the_others_are_still_asked(bad):
    slurm = _Slurm()
    cache = JobStatusCache(slurm)
    cache.watch("101")
    with pytest.raises(ValueError):
        await cache.get(bad, max_age=0)
    assert await cache.get("102", max_age=0) is None
    assert slurm.asked[-1] == ["101", "102"]
