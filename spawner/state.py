"""What a server's spawner keeps in the hub's database, and its token's lifetime.

The state is what survives a hub restart: the Slurm job, where its server listens,
the token's row (JupyterHub forgets the token itself), a submission whose answer may
be lost, jobs a stop could not cancel, the options a start last accepted, and why
the previous server ended. ``clear()`` keeps what must outlive a stopped server.
"""

from dataclasses import dataclass, field, fields

from jupyterhub import orm

from .endreason import JobEnd


@dataclass
class ServerState:
    job_id: str | None = None
    host: str | None = None
    port: int | None = None  # as the server reported it
    adopt_job_id: str | None = None  # a job from before a hub restart, to re-attach to
    token_id: int | None = None  # the server token's row: the hub's handlers find it by it
    submit_nonce: str | None = None  # marks the job of an sbatch whose answer may be lost
    # [{"job_id", "token_id", "token_created"}]: stops that could not cancel (cancelling.py)
    pending_cancel: list = field(default_factory=list)
    accepted_options: dict | None = None  # the last user_options a start accepted
    last_end: JobEnd | None = None  # why the previous server ended, until the next start
    end_time: str | None = None  # when Slurm ends the running server (ISO, local time)

    @classmethod
    def load(cls, state: dict) -> "ServerState":
        out = cls(**{f.name: state.get(f.name) for f in fields(cls)
                     if f.name not in ("pending_cancel", "last_end")})
        out.pending_cancel = [e for e in state.get("pending_cancel") or []
                              if isinstance(e, dict) and e.get("job_id")]
        out.last_end = JobEnd.from_state(state.get("last_end"))
        return out

    def dump(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)
               if f.name != "last_end" and getattr(self, f.name)}
        if self.last_end:
            out["last_end"] = self.last_end.to_state()
        return out

    def clear(self) -> None:
        """A stopped server: the job's id goes (its job, if Slurm took it, is the
        orphan sweep's now); kept: adopt_job_id (what a re-attaching spawn picks up),
        last_end (told on the next visit), pending_cancel, accepted_options."""
        self.job_id = self.host = self.port = self.token_id = self.end_time = None
        self.submit_nonce = None


def token_id(session, api_token: str | None) -> int | None:
    token = orm.APIToken.find(session, api_token) if api_token else None
    return token.id if token is not None else None


def token_created(session, token_id: int | None) -> str | None:
    token = session.get(orm.APIToken, token_id) if token_id is not None else None
    return token.created.isoformat() if token is not None and token.created else None


def revoke_token(session, user_id: int, token_id: int | None,
                 created: str | None = None) -> bool:
    """Delete a server token by id. After a hub restart JupyterHub no longer knows the
    token of a server it stops, so without this it would stay valid forever.
    ``created``: revoke only that very token (SQLite reuses the ids of deleted rows)."""
    if token_id is None:
        return False
    token = session.get(orm.APIToken, token_id)
    if token is None or token.user_id != user_id:
        return False
    if created is not None and (token.created is None or token.created.isoformat() != created):
        return False
    session.delete(token)
    session.commit()
    return True
