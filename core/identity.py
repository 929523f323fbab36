"""Who the gateway may act as: never a system account.

A hub user named ``root``, ``daemon`` or ``slurm`` must not get a notebook job, a
Slurm token or any command run as them. Sites set a uid floor (most distributions
start ordinary accounts at 1000) and optionally a group every gateway user must be
in. Every path that acts as a user checks here: ``become.as_user``, the spawner's
start, the Slurm tokens the hub mints.
"""

import grp
import os
import pwd
from dataclasses import dataclass

from . import validate as v
from .errors import IdentityError

DEFAULT_MIN_UID = 1000
# system accounts above the floor: Debian's and Fedora's fixed uids of packages
# (slurm is 64030 on Debian) and nobody (65534)
DEFAULT_SYSTEM_UIDS = ((60000, 65535),)
# (uid_t)-1 and -2: never anyone's account, whatever the site says
_OVERFLOW = frozenset({4294967294, 4294967295})


@dataclass(frozen=True)
class Policy:
    min_uid: int = DEFAULT_MIN_UID
    allowed_group: str = ""  # empty: any group
    system_uids: tuple[tuple[int, int], ...] = DEFAULT_SYSTEM_UIDS  # inclusive ranges

    def check(self, user: str) -> pwd.struct_passwd:
        """The user's passwd entry, or IdentityError saying why the gateway refuses."""
        v.username("user", user)
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            raise IdentityError(f"{user!r} is not an account of this system") from None
        if entry.pw_uid < self.min_uid:
            raise IdentityError(f"{user!r} is a system account (uid {entry.pw_uid} is below "
                                f"{self.min_uid}); the gateway does not act as it")
        if entry.pw_uid in _OVERFLOW or any(lo <= entry.pw_uid <= hi
                                            for lo, hi in self.system_uids):
            raise IdentityError(f"{user!r} is a system account (uid {entry.pw_uid} is in "
                                "a range of system accounts); the gateway does not act as it")
        if self.allowed_group and not _in_group(entry, self.allowed_group):
            raise IdentityError(f"{user!r} is not in the group {self.allowed_group!r} of "
                                "gateway users")
        return entry


DEFAULT = Policy()


def _in_group(entry: pwd.struct_passwd, group: str) -> bool:
    try:
        g = grp.getgrnam(group)
    except KeyError:
        return False
    return g.gr_gid in os.getgrouplist(entry.pw_name, entry.pw_gid)
