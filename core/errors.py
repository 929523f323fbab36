"""Error types that carry a message fit to show a user."""


class SpecError(ValueError):
    """A job or container spec was refused; ``str(err)`` says why, in words."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class SlurmError(RuntimeError):
    """A Slurm command or API call failed; the message includes Slurm's own words."""


class IdentityError(PermissionError):
    """A user the gateway must never act as (a system account, or not in the site's
    group); ``str(err)`` says why, in words."""
