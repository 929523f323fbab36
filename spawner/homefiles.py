"""The hub's work in a user's home, done as that user (funicular.core.userfiles).

Each call is one helper process through ``become`` (sudo or runuser), so a start
does its work in one: the server's env file, its TLS files and the workshop's
course material together (a separate sudo per file cost seconds a start in a
50-participant burst).
"""

import json
import sys
from dataclasses import dataclass

from funicular.core import proc
from funicular.core.become import as_user
from funicular.core.identity import Policy


@dataclass(frozen=True)
class HomeFiles:
    become: str
    user: str
    identity: Policy
    home: str  # the user's home on the hub's side (the site's passwd)
    timeout: float

    def path(self, rel: str) -> str:
        return f"{self.home.rstrip('/')}/{rel}"

    async def _run(self, action: str, arg: str, stdin: str = "") -> str:
        argv = as_user(self.become, self.user, self.identity) + [
            sys.executable, "-m", "funicular.core.userfiles", action, arg]
        res = await proc.run(argv, stdin=stdin.encode(), timeout=self.timeout)
        if res.returncode != 0:
            raise RuntimeError(f"cannot {action} {arg}: {res.stderr.strip()}")
        return res.stdout

    async def prepare(self, files: dict[str, str],
                      material: tuple[str, str] | None = None) -> dict:
        """Write ``files`` (relative to the home -> content, 0600) and sync course
        material (source folder, target relative to the home). Returns the helper's
        report: {"material": {...} or None, "material_error": str or None}."""
        request = {"files": [[self.path(rel), text] for rel, text in files.items()],
                   "material": [material[0], self.path(material[1])] if material else None}
        return json.loads(await self._run("prepare", "-", json.dumps(request)))

    async def remove(self, rel: str) -> None:
        await self._run("remove", self.path(rel))

    async def tail(self, rel: str) -> str:
        return await self._run("tail", self.path(rel))

    async def reset_material(self, source: str, target: str) -> dict:
        return json.loads(await self._run("material-reset", self.path(target), source))
