"""HTTP server load for `spacelab bench`: a loopback uvicorn server (in its own process, so
the clients do not share its interpreter) and N client threads with keep-alive connections.

- /v1/health: requests/s and p50/p99 latency (ms) over `seconds`;
- episodes/s: each client creates a session, plays 4 turns of `Rotate(90), Observe()` and a
  `Term()`, reads the record and deletes the session, again and again for `seconds`.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import threading
import time
from urllib.parse import urlsplit

import numpy as np

EPISODE_TURNS = ["Actions: [Rotate(90), Observe()]"] * 4 + ["Actions: [Term()]"]


def _serve(queue, max_sessions: int) -> None:
    from spacelab.serving.http import EnvServer

    server = EnvServer(port=0, max_sessions=max_sessions)
    queue.put(server.url)
    server.serve_forever()


class _Client:
    def __init__(self, url: str) -> None:
        u = urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)

    def call(self, method: str, path: str, body=None, token: str | None = None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status >= 400:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:200]!r}")
        return json.loads(data) if data else None


def _run(url: str, clients: int, seconds: float, work) -> tuple[list, float]:
    """Each client thread calls work(client) until the deadline; returns what they gave and the time taken."""
    out: list = []
    errors: list[str] = []
    start = threading.Barrier(clients + 1)

    def loop():
        c = _Client(url)
        mine = []
        start.wait()
        try:
            while time.perf_counter() < deadline:
                mine.append(work(c))
        except Exception as e:  # reported, never hidden
            errors.append(f"{type(e).__name__}: {e}")
        out.extend(mine)

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    deadline = time.perf_counter() + seconds + 60.0  # set properly below, once everyone is ready
    start.wait()
    t0 = time.perf_counter()
    deadline = t0 + seconds
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed, e.g. {errors[0]}")
    return out, time.perf_counter() - t0


def _health(c: _Client) -> float:
    t0 = time.perf_counter()
    c.call("GET", "/v1/health")
    return time.perf_counter() - t0


def _episode(c: _Client, suite: str) -> int:
    s = c.call("POST", "/v1/sessions", {"suite": suite, "max_steps": len(EPISODE_TURNS), "probe": False})
    path, token = f"/v1/sessions/{s['session_id']}", s["token"]
    for turn in EPISODE_TURNS:
        c.call("POST", f"{path}/step", {"action": turn}, token)
    c.call("GET", f"{path}/record", token=token)
    c.call("DELETE", path, token=token)
    return 1


def http_load(clients: int = 16, seconds: float = 3.0, suite: str = "tos-2room") -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(queue, 2 * clients), daemon=True)
    proc.start()
    try:
        url = queue.get(timeout=120)
        _run(url, clients, 0.3, _health)  # warm up connections and code paths
        lat, dt = _run(url, clients, seconds, _health)
        eps, dt_ep = _run(url, clients, seconds, lambda c: _episode(c, suite))
    finally:
        proc.terminate()
        proc.join(10)
    ms = np.asarray(lat) * 1000.0
    return {"clients": clients, "seconds": seconds, "health_req_per_s": round(len(lat) / dt, 1),
            "health_p50_ms": round(float(np.percentile(ms, 50)), 2), "health_p99_ms": round(float(np.percentile(ms, 99)), 2),
            "episodes_per_s": round(sum(eps) / dt_ep, 2), "turns_per_episode": len(EPISODE_TURNS)}


__all__ = ["http_load"]
