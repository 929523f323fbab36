"""Can this image run on that host? Reasons in words, before anything is queued.

Pure functions of an image's annotations and a host's ``Fingerprint``.
"""

from dataclasses import dataclass

from . import annotations as a
from .fingerprint import Fingerprint

# archspec targets -> (family, x86-64 level or None)
_FAMILY = {
    "x86_64": ("x86_64", 1), "x86_64_v2": ("x86_64", 2), "x86_64_v3": ("x86_64", 3),
    "x86_64_v4": ("x86_64", 4), "nehalem": ("x86_64", 2), "westmere": ("x86_64", 2),
    "sandybridge": ("x86_64", 2), "ivybridge": ("x86_64", 2), "haswell": ("x86_64", 3),
    "broadwell": ("x86_64", 3), "skylake": ("x86_64", 3), "skylake_avx512": ("x86_64", 4),
    "cascadelake": ("x86_64", 4), "icelake": ("x86_64", 4), "sapphirerapids": ("x86_64", 4),
    "zen": ("x86_64", 3), "zen2": ("x86_64", 3), "zen3": ("x86_64", 3), "zen4": ("x86_64", 4),
    "zen5": ("x86_64", 4), "aarch64": ("aarch64", None), "neoverse_n1": ("aarch64", None),
    "neoverse_v1": ("aarch64", None), "neoverse_v2": ("aarch64", None),
    "a64fx": ("aarch64", None), "ppc64le": ("ppc64le", None), "power9le": ("ppc64le", None),
}
# MPI families that share the MPICH ABI: one can replace another in bind mode
_MPICH_ABI = {"mpich", "cray-mpich", "intel-mpi", "mvapich2"}
# newest CUDA each NVIDIA driver branch supports
_CUDA_BY_DRIVER = ((570, "12.8"), (560, "12.6"), (555, "12.5"), (550, "12.4"), (545, "12.3"),
                   (535, "12.2"), (530, "12.1"), (525, "12.0"), (520, "11.8"), (515, "11.7"),
                   (510, "11.6"), (495, "11.5"), (470, "11.4"), (465, "11.3"), (460, "11.2"),
                   (455, "11.1"), (450, "11.0"))


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    fatal: bool = True  # False: a warning (it may still run)

    def __str__(self):
        return self.message


def _version(v: str | None) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in (v or "").split(".")[:3])
    except ValueError:
        return ()


def cuda_for_driver(driver: str | None) -> str | None:
    major = _version(driver)[:1]
    for branch, cuda in _CUDA_BY_DRIVER:
        if major and major[0] >= branch:
            return cuda
    return None


def check(ann: dict[str, str], host: Fingerprint, *, mpi_mode: str = "none",
          gpus: bool = False, where: str = "this partition") -> list[Problem]:
    """Everything that keeps the image from running on ``host``; empty if nothing."""
    problems: list[Problem] = []
    target = ann.get(a.ARCH)
    if target:
        family, level = _FAMILY.get(target, (target, None))
        if family != host.arch:
            problems.append(Problem(a.ARCH, f"the image is built for {target} ({family}) "
                                    f"but {where} runs {host.arch}"))
        elif level and level > 1 and host.levels and f"x86-64-v{level}" not in host.levels:
            best = max((int(x[-1]) for x in host.levels if x[-1].isdigit()), default=1)
            problems.append(Problem(a.ARCH, f"the image needs x86-64-v{level} ({target}) but "
                                    f"the CPUs of {where} support up to x86-64-v{best}"))

    mpi = (ann.get(a.MPI) or "none").lower()
    if mpi_mode != "none" and mpi == "none":
        problems.append(Problem(a.MPI, f"MPI {mpi_mode} mode was asked for but the image "
                                "has no MPI"))
    if mpi_mode == "hybrid" and mpi != "none":
        pmi = (ann.get(a.MPI_PMI) or "").lower()
        if pmi and host.pmi and pmi not in host.pmi:
            problems.append(Problem(a.MPI_PMI, f"the image's MPI needs {pmi} but srun on "
                                    f"{where} offers {', '.join(host.pmi)}"))
    if mpi_mode == "bind" and mpi != "none":
        if host.mpi is None:
            problems.append(Problem(a.MPI, f"bind mode needs a host MPI, and {where} has "
                                    "none"))
        elif not (mpi == host.mpi or {mpi, host.mpi} <= _MPICH_ABI):
            problems.append(Problem(a.MPI, f"the image's {mpi} cannot be replaced by the "
                                    f"host's {host.mpi} (different ABI)"))

    libc = ann.get(a.LIBC_VERSION)
    if (mpi_mode == "bind" or gpus) and libc and host.glibc and \
            _version(libc) < _version(host.glibc):
        problems.append(Problem(a.LIBC_VERSION, f"host libraries built against glibc "
                                f"{host.glibc} are bound in, but the image has glibc {libc}"))

    wants_gpu = (ann.get(a.GPU_REQUIRED) or "").lower() in ("true", "yes", "1")
    if wants_gpu and not gpus:
        problems.append(Problem(a.GPU_REQUIRED, "the image needs a GPU; choose a GPU "
                                "partition and at least one GPU"))
    vendor = (ann.get(a.GPU_VENDOR) or "").lower()
    if gpus and vendor and host.gpu_vendor and vendor != host.gpu_vendor:
        problems.append(Problem(a.GPU_VENDOR, f"the image is built for {vendor} GPUs but "
                                f"{where} has {host.gpu_vendor} GPUs"))
    cuda = ann.get(a.CUDA)
    if gpus and cuda:
        supported = cuda_for_driver(host.gpu_driver)
        if supported is None:
            problems.append(Problem(a.CUDA, f"the image needs CUDA {cuda}; the NVIDIA driver "
                                    f"of {where} is unknown", fatal=False))
        elif _version(cuda)[:2] > _version(supported)[:2]:
            problems.append(Problem(a.CUDA, f"the image needs CUDA {cuda} but the driver "
                                    f"{host.gpu_driver} of {where} supports up to {supported}"))
    return problems
