"""The home page's view of running servers (state as the spawner saves it)."""

import datetime
from types import SimpleNamespace

from funicular.spawner.running import running_servers


def test_running_servers_with_end_time_and_time_left():
    now = datetime.datetime(2026, 11, 23, 10, 0, 0)
    rows = [
        SimpleNamespace(name="", server=object(), state={
            "job_id": "42", "host": "10.77.77.11", "end_time": "2026-11-23T11:30:00"}),
        SimpleNamespace(name="gpu", server=object(), state={"job_id": "43"}),
        SimpleNamespace(name="old", server=None, state={"job_id": "41"}),  # stopped
    ]
    user = SimpleNamespace(all_spawners=lambda: rows)
    out = running_servers(user, now=now)
    assert out == [
        {"server": "", "job_id": "42", "node": "10.77.77.11",
         "end_time": "2026-11-23T11:30:00", "left": "1 h 30 min"},
        {"server": "gpu", "job_id": "43", "node": None, "end_time": None, "left": None},
    ]
    assert running_servers(None) == []
