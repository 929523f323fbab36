"""What a host offers to containers: CPU family and level, glibc, MPI, GPU driver.

``collect`` runs on the node it describes (cheap: a few files and two small
commands); the result is plain data, saved as JSON per partition for the hub.
"""

import dataclasses
import json
import os
import pathlib
import platform
import re
import shutil
import subprocess

_LD_SO = {"x86_64": "/lib64/ld-linux-x86-64.so.2", "aarch64": "/lib/ld-linux-aarch64.so.1"}


@dataclasses.dataclass(frozen=True)
class Fingerprint:
    arch: str  # uname -m: x86_64, aarch64, ppc64le
    levels: tuple[str, ...] = ()  # glibc-hwcaps levels supported, e.g. x86-64-v3
    glibc: str | None = None  # "2.36"
    mpi: str | None = None  # host MPI family: openmpi, mpich, cray-mpich, intel-mpi
    mpi_version: str | None = None
    pmi: tuple[str, ...] = ()  # what srun speaks: pmix, pmi2
    gpu_vendor: str | None = None  # nvidia, amd
    gpu_driver: str | None = None  # e.g. "550.54.15"
    gpus: int = 0

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> "Fingerprint":
        known = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        for key in ("levels", "pmi"):
            d[key] = tuple(d.get(key) or ())
        return cls(**d)


def _run(argv: list[str]) -> str:
    if not shutil.which(argv[0]):
        return ""
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return res.stdout + res.stderr


def hwcaps_levels(ld_help: str) -> tuple[str, ...]:
    """From ``ld.so --help``: the glibc-hwcaps subdirectories marked supported."""
    section = ld_help.split("Subdirectories of glibc-hwcaps directories", 1)[-1]
    section = section.split("\n\n", 1)[0] if "glibc-hwcaps directories" in ld_help else ""
    return tuple(re.findall(r"^\s+(\S+) \(supported", section, re.M))


def mpi_from_version(text: str) -> tuple[str | None, str | None]:
    """``mpirun --version`` (or mpichversion) output to (family, version)."""
    for family, pattern in (("openmpi", r"Open MPI\)?\s+v?(\d[\d.]*)"),
                            ("intel-mpi", r"Intel\(R\) MPI Library.*?Version (\d[\d.]*)"),
                            ("cray-mpich", r"cray-mpich[/ ](\d[\d.]*)"),
                            ("mpich", r"(?:HYDRA build details:.*?Version|MPICH Version):"
                                      r"\s*(\d[\d.]*)")):
        m = re.search(pattern, text, re.S)
        if m:
            return family, m.group(1)
    return None, None


def nvidia_driver(proc_version: str) -> str | None:
    m = re.search(r"Kernel Module\s+(?:for \S+\s+)?(\d+\.\d+(?:\.\d+)?)", proc_version)
    return m.group(1) if m else None


def collect(slurm_mpi_types: str | None = None) -> Fingerprint:
    arch = platform.machine()
    levels = hwcaps_levels(_run([_LD_SO.get(arch, "/lib64/ld-linux-x86-64.so.2"), "--help"]))
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION").split()[-1]
    except (ValueError, OSError, AttributeError):
        glibc = None
    mpi, mpi_version = mpi_from_version(_run(["mpirun", "--version"]))
    mpi_types = slurm_mpi_types if slurm_mpi_types is not None else _run(
        ["srun", "--mpi=list"])
    pmi = tuple(p for p in ("pmix", "pmi2") if re.search(rf"\b{p}\b", mpi_types))
    driver, vendor = None, None
    try:
        with open("/proc/driver/nvidia/version") as f:
            driver, vendor = nvidia_driver(f.read()), "nvidia"
    except OSError:
        pass
    return Fingerprint(arch=arch, levels=levels, glibc=glibc, mpi=mpi,
                       mpi_version=mpi_version, pmi=pmi, gpu_vendor=vendor, gpu_driver=driver)


def load_fingerprint(partition: str, fingerprints: dict, directory: str | None) -> Fingerprint:
    """The partition's fingerprint: from the config, else DIR/PARTITION.json (written on
    one of its nodes by ``funicular images fingerprint --write``), else this host's."""
    if partition in fingerprints:
        return Fingerprint.from_dict(fingerprints[partition])
    if directory:
        f = pathlib.Path(directory) / f"{partition}.json"
        if f.is_file():
            return Fingerprint.from_dict(json.loads(f.read_text()))
    return collect()
