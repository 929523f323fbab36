"""Re-attaching a queued server after a hub restart.

JupyterHub has no notion of a server that is still waiting in a batch queue when
the hub comes back: it either finds it running (and checks its URL) or stops it.
For a job that is queued, or started while the hub was down and has not reported
yet, FunicularSpawner lets the hub "stop" it without cancelling the job (poll says
0, the job id is kept in state), then starts a spawn of its own once the hub is
serving. That spawn adopts the job instead of submitting a new one, so the
server comes up exactly once, with a freshly issued token.
"""

import asyncio
import logging

log = logging.getLogger("funicular.spawner")

_tasks: set[asyncio.Task] = set()


def schedule_respawn(user, server_name: str, delay: float = 0.5) -> None:
    task = asyncio.ensure_future(_respawn(user, server_name, delay))
    _tasks.add(task)  # keep a reference until done
    task.add_done_callback(_tasks.discard)


async def _wait_for_hub(proxy, timeout: float = 600) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            await proxy.get_all_routes()
            return True
        except Exception:  # the proxy is not up yet while the hub initialises
            await asyncio.sleep(0.5)
    return False


async def _respawn(user, server_name: str, delay: float) -> None:
    await asyncio.sleep(delay)  # let user.stop() finish storing our state
    proxy = user.settings.get("proxy")
    if proxy is None or not await _wait_for_hub(proxy):
        log.error("cannot re-attach %s/%s: the hub's proxy never came up", user.name, server_name)
        return
    spawner = user.spawners[server_name]
    if spawner.active or not getattr(spawner, "adopt_job_id", None):
        return
    log.info("re-attaching %s/%s to Slurm job %s", user.name, server_name, spawner.adopt_job_id)
    spawner._spawn_pending = True

    async def finish():
        try:
            await user.spawn(server_name, options=spawner.orm_spawner.user_options or {})
            await proxy.add_user(user, server_name)
        except Exception:
            log.exception("re-attaching %s/%s failed", user.name, server_name)
            if user.spawners[server_name].active:
                await user.stop(server_name)
            raise
        sp = user.spawners[server_name]
        sp.add_poll_callback(_stopped, user, server_name)
        sp.start_polling()

    fut = spawner._spawn_future = asyncio.ensure_future(finish())

    def done(f):
        if f.cancelled() or f.exception() is None:
            spawner._spawn_future = None
        spawner._spawn_pending = False

    fut.add_done_callback(done)
    try:
        await fut
    except Exception:  # already logged; the failure is kept on _spawn_future for the UI
        pass


async def _stopped(user, server_name: str) -> None:
    """Poll callback: the job ended on its own (as JupyterHub's own user_stopped does)."""
    proxy = user.settings["proxy"]
    await proxy.delete_user(user, server_name)
    await user.stop(server_name)
