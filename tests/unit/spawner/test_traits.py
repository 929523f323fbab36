"""Settings that several modules read, derived from the traits."""

from funicular.spawner import FunicularSpawner


def test_slurm_commands_from_the_sites_directory():
    """A site with Slurm under /opt/slurm: bare command names are taken from
    slurm_bin_dir, an admin's absolute path stays as it is."""
    s = FunicularSpawner(slurm_bin_dir="/opt/slurm/bin/", sacct="/usr/local/bin/sacct")
    got = s.slurm_settings
    assert (got.sbatch, got.squeue, got.scancel, got.scontrol, got.sacctmgr) == tuple(
        f"/opt/slurm/bin/{c}" for c in ("sbatch", "squeue", "scancel", "scontrol",
                                        "sacctmgr"))
    assert got.sacct == "/usr/local/bin/sacct"
    assert s.slurm.sbatch == "/opt/slurm/bin/sbatch"  # what the backend runs
    plain = FunicularSpawner().slurm_settings
    assert (plain.sbatch, plain.squeue) == ("sbatch", "squeue")
