"""Image annotations, host fingerprints and the compatibility check."""

import json

import pytest

from funicular.core.cli import main as funicular
from funicular.core.errors import SpecError
from funicular.core.images import annotations as a
from funicular.core.images.catalog import load_catalog
from funicular.core.images.compat import check, cuda_for_driver
from funicular.core.images.fingerprint import (
    Fingerprint,
    hwcaps_levels,
    mpi_from_version,
    nvidia_driver,
)

HOST = Fingerprint(arch="x86_64", levels=("x86-64-v3", "x86-64-v2"), glibc="2.36",
                   mpi="openmpi", mpi_version="4.1.4", pmi=("pmix", "pmi2"),
                   gpu_vendor="nvidia", gpu_driver="535.104.05")

LD_HELP = """Subdirectories of glibc-hwcaps directories, in priority order:
  x86-64-v4
  x86-64-v3 (supported, searched)
  x86-64-v2 (supported, searched)

Legacy HWCAP subdirectories under library search path directories:
  x86_64 (AT_PLATFORM; supported, searched)
"""


def test_fingerprint_parsers():
    assert hwcaps_levels(LD_HELP) == ("x86-64-v3", "x86-64-v2")
    assert mpi_from_version("mpirun (Open MPI) 4.1.4\n\nReport bugs to") == ("openmpi", "4.1.4")
    assert mpi_from_version("HYDRA build details:\n    Version:   4.0.2\n") == ("mpich", "4.0.2")
    assert mpi_from_version("bash: mpirun: not found") == (None, None)
    assert nvidia_driver("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug"
                         ) == "535.104.05"
    assert cuda_for_driver("535.104.05") == "12.2" and cuda_for_driver(None) is None
    assert Fingerprint.from_dict(json.loads(HOST.to_json())) == HOST


@pytest.mark.parametrize("ann,kw,words", [
    ({a.ARCH: "aarch64"}, {}, "built for aarch64 (aarch64) but partition mc runs x86_64"),
    ({a.ARCH: "neoverse_v2"}, {}, "built for neoverse_v2"),
    ({a.ARCH: "x86_64_v4"}, {}, "needs x86-64-v4 (x86_64_v4) but the CPUs of partition mc "
                                "support up to x86-64-v3"),
    ({a.ARCH: "sapphirerapids"}, {}, "needs x86-64-v4"),
    ({a.MPI: "none"}, {"mpi_mode": "hybrid"}, "the image has no MPI"),
    ({a.MPI: "mpich", a.MPI_PMI: "pmi1"}, {"mpi_mode": "hybrid"}, "needs pmi1 but srun"),
    ({a.MPI: "mpich"}, {"mpi_mode": "bind"}, "mpich cannot be replaced by the host's openmpi"),
    ({a.MPI: "openmpi", a.LIBC_VERSION: "2.31"}, {"mpi_mode": "bind"}, "image has glibc 2.31"),
    ({a.GPU_REQUIRED: "true"}, {}, "the image needs a GPU"),
    ({a.GPU_VENDOR: "amd"}, {"gpus": True}, "built for amd GPUs but partition mc has nvidia"),
    ({a.CUDA: "12.4"}, {"gpus": True}, "needs CUDA 12.4 but the driver 535.104.05"),
])
def test_incompatible_images_say_why(ann, kw, words):
    problems = check(ann, HOST, where="partition mc", **kw)
    assert problems and all(p.fatal for p in problems)
    assert any(words in str(p) for p in problems), [str(p) for p in problems]


@pytest.mark.parametrize("ann,kw", [
    ({}, {}),  # unannotated: nothing to say
    ({a.ARCH: "x86_64"}, {}), ({a.ARCH: "haswell"}, {}), ({a.ARCH: "x86_64_v3"}, {}),
    ({a.MPI: "openmpi", a.MPI_PMI: "pmix"}, {"mpi_mode": "hybrid"}),
    ({a.MPI: "openmpi", a.LIBC_VERSION: "2.36"}, {"mpi_mode": "bind"}),
    ({a.CUDA: "12.2", a.GPU_VENDOR: "nvidia", a.GPU_REQUIRED: "true"}, {"gpus": True}),
])
def test_compatible_images_pass(ann, kw):
    assert check(ann, HOST, **kw) == []


def test_mpich_abi_family_can_be_swapped_and_unknown_driver_only_warns():
    host = Fingerprint(arch="x86_64", mpi="cray-mpich", glibc="2.31")
    assert check({a.MPI: "mpich"}, host, mpi_mode="bind") == []
    (warn,) = check({a.CUDA: "12.0"}, Fingerprint(arch="x86_64"), gpus=True)
    assert not warn.fatal and "driver" in str(warn)


def test_annotations_from_charliecloud_oci_and_the_catalog(tmp_path):
    ch = tmp_path / "chimg"
    (ch / "ch").mkdir(parents=True)
    (ch / "ch/metadata.json").write_text(json.dumps({"labels": {a.MPI: "mpich", a.TITLE: "x"}}))
    (ch / "ch/labels").write_text(f"# comment\n{a.ARCH}=zen3\n{a.MPI}=openmpi\n")
    assert a.read_annotations(str(ch)) == {a.ARCH: "zen3", a.MPI: "openmpi", a.TITLE: "x"}

    oci = tmp_path / "oci"
    (oci / "blobs/sha256").mkdir(parents=True)
    (oci / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    config = {"architecture": "arm64", "config": {"Labels": {a.CUDA: "12.4"}}}
    (oci / "blobs/sha256/c1").write_text(json.dumps(config))
    manifest = {"config": {"digest": "sha256:c1"}, "annotations": {a.ARCH: "neoverse_v2"}}
    (oci / "blobs/sha256/m1").write_text(json.dumps(manifest))
    (oci / "index.json").write_text(json.dumps({"manifests": [{
        "digest": "sha256:m1", "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))
    got = a.read_annotations(f"{oci}:v1")
    assert got[a.ARCH] == "neoverse_v2" and got[a.CUDA] == "12.4"
    assert a.read_annotations(f"{oci}:nope") == {}

    cat = load_catalog({"ch": str(ch), "oci": {"path": f"{oci}:v1", "description": "GPU",
                                              "annotations": {a.CUDA: "12.6"}}})
    assert cat["oci"].annotations[a.CUDA] == "12.6"  # the admin's word wins
    assert cat["ch"].summary() == "CPU zen3, MPI openmpi"
    with pytest.raises(SpecError, match="unknown keys"):
        load_catalog({"x": {"path": "/p", "labels": {}}})

    # a Podman store reference: annotations from the layout it was imported from
    ref = load_catalog({"nb": {"path": "localhost/nb:latest", "runtime": "podman",
                               "annotations_from": f"{oci}:v1"}})["nb"]
    assert ref.runtime == "podman" and ref.annotations[a.ARCH] == "neoverse_v2"
    with pytest.raises(SpecError, match="runtime 'docker' is not one of"):
        load_catalog({"nb": {"path": "localhost/nb", "runtime": "docker"}})


def cli(*argv: str) -> int:
    return funicular(["images", *argv])


def test_cli_check_and_fingerprint(tmp_path, capsys):
    img = tmp_path / "armimg"
    (img / "ch").mkdir(parents=True)
    (img / "ch/labels").write_text(f"{a.ARCH}=aarch64\n")
    fps = tmp_path / "fp"
    fps.mkdir()
    (fps / "mc.json").write_text(HOST.to_json())
    cfg = tmp_path / "jupyterhub_config.py"
    cfg.write_text(f"c.FunicularSpawner.images = {{'arm': {str(img)!r}}}\n"
                   f"c.FunicularSpawner.fingerprint_dir = {str(fps)!r}\n")
    assert cli("--config", str(cfg), "check", "arm", "--partition", "mc") == 1
    assert "refused: the image is built for aarch64" in capsys.readouterr().out
    assert cli("--config", str(cfg), "list") == 0
    assert "CPU aarch64" in capsys.readouterr().out
    assert cli("fingerprint", "--write", str(fps), "--partition", "local") == 0
    assert Fingerprint.from_dict(json.loads((fps / "local.json").read_text())).arch
