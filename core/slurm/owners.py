"""Whom a Slurm backend may act as: the site's identity policy for submissions, only
its uid floor for cancellations.

A job Slurm says is the user's is cancelled even after the user left the gateway's
group (a server must be stoppable, an orphan sweepable), but never as root or a
system account below the floor. Both backends take the policy from here, so they
refuse the same users.
"""

from ..identity import Policy


def cancel_policy(identity: Policy) -> Policy:
    """The policy a cancellation checks: ``identity``'s uid floor only."""
    return Policy(min_uid=identity.min_uid, system_uids=())
