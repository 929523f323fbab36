"""Integrity: every part's MD5, and the whole object's checksum derived from them.

Stores report a multi-part object's ETag as a digest of its parts' digests: S3 as
``md5(digest1 + digest2 + ...)-N``, Swift's static large objects as the MD5 of the
parts' hex digests. Both follow from the part MD5s a transfer computes anyway, so a
transfer of any size is checked end to end without a second pass over the data,
provided the parts are cut the same way (the part size travels in the object's
metadata, ``funicular-part-size``).
"""

import hashlib
from dataclasses import dataclass

META_PART_SIZE = "funicular-part-size"
META_MD5 = "funicular-md5"  # the S3-style composite, set on Swift uploads too


def part_count(size: int, part_size: int) -> int:
    return max(1, -(-size // part_size))


def part_range(n: int, size: int, part_size: int) -> tuple[int, int]:
    """(offset, length) of part ``n``."""
    start = n * part_size
    return start, max(0, min(part_size, size - start))


def composite(md5s: list[str]) -> str:
    """One checksum for the whole: the plain MD5 for one part, S3's rule for more."""
    if len(md5s) == 1:
        return md5s[0]
    return hashlib.md5(b"".join(bytes.fromhex(m) for m in md5s)).hexdigest()


def expected_etags(md5s: list[str]) -> set[str]:
    """Every ETag a store may report for an object made of these parts."""
    if len(md5s) == 1:
        return {md5s[0]}
    return {f"{composite(md5s)}-{len(md5s)}",
            hashlib.md5("".join(md5s).encode()).hexdigest()}


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str  # without quotes
    meta: dict[str, str]  # user metadata, lower-case names without the API's prefix
    large: bool = False  # made of parts (SLO, multipart upload): the ETag is not its MD5
    modified: str = ""

    @property
    def part_size(self) -> int | None:
        try:
            return int(self.meta.get(META_PART_SIZE, "")) or None
        except ValueError:
            return None


def verify(info: ObjectInfo, md5s: list[str]) -> str | None:
    """How the parts were checked against the object ("md5" or "etag"), or None if
    the object carries nothing they can be checked against. Raises on a mismatch."""
    if info.meta.get(META_MD5):
        if composite(md5s) != info.meta[META_MD5]:
            raise ChecksumError(f"checksum mismatch: the data's {composite(md5s)} against "
                                f"the object's {info.meta[META_MD5]}")
        return "md5"
    if not info.large and len(md5s) == 1:
        if md5s[0] != info.etag:
            raise ChecksumError(f"checksum mismatch: MD5 {md5s[0]} against ETag {info.etag}")
        return "md5"
    if info.large and info.part_size:
        if info.etag not in expected_etags(md5s):
            raise ChecksumError(f"checksum mismatch: the parts do not add up to ETag "
                                f"{info.etag}")
        return "etag"
    return None


class ChecksumError(RuntimeError):
    """The data moved is not the data at the source: the transfer starts over."""
