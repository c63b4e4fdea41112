"""A hostile client against the HTTP and MCP servers: nothing it sends gives a 5xx, every
refusal is one line of JSON (or one line of text for MCP, with isError), a refused request
changes nothing, and the server keeps serving (health and a valid step) after each case."""

import asyncio
import json
import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from spacelab.serving.http import EnvServer, ServerLimits, create_app
from spacelab.serving.remote import MAX_ACTION_CHARS, MAX_ACTIONS_PER_TURN

# -- HTTP cases ------------------------------------------------------------------------------
# (method, path, body, headers, stepped): "{s}" is the victim session's path; headers None means
# the victim's own token; "{tok}" / "{other}" in a header are the victim's and another session's token.
# body: bytes are sent as they are, anything else as JSON.
S = "{s}"
CREATE_RAW = [b"{", b"[1, 2]", b"null", b"true", b"42", b'"tos-2room"', b"{'suite': 'tos-2room'}", b'{"suite": }',
              b"\xff\xfe\x00", b"NaN", b'{"seed": NaN}', b'{"seed": Infinity}', b'{"fov_deg": -Infinity}',
              b"[" * 100_000, b'{"a":' * 50 + b"1" + b"}" * 50, b'{"index": 1' + b"0" * 5000 + b"}",
              b'{"fov_deg": 1e400}', b'{"seed": 1e400}', b'{"suite": "\\ud800"}', b'{"suite": "tos-2room", "suite": 5}',
              b"\x00", b'{"suite": "tos-2room"} trailing', b"\xef\xbb\xbf{}"]
CREATE_BAD = [{"suite": 5}, {"suite": None}, {"suite": "x" * 100}, {"suite": "../../etc/passwd"}, {"suite": "tos-9room"},
              {"suite": "tos-2room\n"}, {"index": -1}, {"index": "0"}, {"index": True}, {"index": 0.5}, {"index": [0]},
              {"index": {"a": 1}}, {"index": 1000}, {"index": 10**30}, {"seed": -1}, {"seed": "1"}, {"seed": 2**64},
              {"seed": 1e20}, {"seed": 1.5}, {"max_steps": 0}, {"max_steps": 1001}, {"max_steps": 10**9},
              {"max_steps": "20"}, {"max_steps": None}, {"obs_mode": "sonar"}, {"obs_mode": 5}, {"obs_mode": ""},
              {"obs_mode": ["text"]}, {"probe": "yes"}, {"probe": 1}, {"fov_deg": 0}, {"fov_deg": -90}, {"fov_deg": 181},
              {"fov_deg": "90"}, {"fov_deg": 1e-400}, {"fov_deg": None}, {"max_range": 0}, {"max_range": -1},
              {"max_range": 1e9}, {"max_range": "32"}, {"max_range": None}, {"colour": "red"}, {"": 1}, {"a" * 1000: 1}]
AUTH_BAD = ["", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer", "Bearer ", "bearer {tok}", "Bearer {other}", "Bearer {tok}x",
            "Bearer " + "a" * 8000, b"Bearer \xc3\xa9\xc3\xa9", b"Bearer \xff\xfe\x80", "Token {tok}"]
ROUTES_BAD = [("GET", "/v1/sessions/" + "0" * 32), ("GET", "/v1/sessions/zzz"), ("GET", "/v1/sessions/" + "a" * 64),
              ("GET", "/v1/sessions/%00"), ("GET", "/v1/sessions/%C3%BC"), ("GET", "/v1/sessions/..%2F..%2Fetc"),
              ("GET", S + "/dance"), ("GET", S + "/step"), ("PUT", S), ("PATCH", "/v1/health"), ("DELETE", "/v1/sessions"),
              ("POST", "/v1/health"), ("GET", "/v1/sessions"), ("POST", S + "/record"), ("DELETE", "/v1/sessions/" + "f" * 32)]
STEP_BAD = [{}, {"action": None}, {"action": 5}, {"action": ["Observe()"]}, {"action": {"a": 1}}, {"action": True},
            {"action": "Actions: [Observe()]", "extra": 1}, {"turn": "Actions: [Observe()]"}]
ACTIONS = ["Actions: [Rotate(inf), Observe()]", "Actions: [Rotate(1e400), Observe()]", "Actions: [Rotate(nan), Observe()]",
           "Actions: [Rotate(-0), Observe()]", "Actions: [Rotate(90.0000001), Observe()]",
           "Actions: [Rotate(" + "9" * 5000 + "), Observe()]", "Actions: [" + "Rotate(90), " * 20_000 + "Observe()]",
           "Actions: [" + "Rotate(90), " * MAX_ACTIONS_PER_TURN + "Observe()]", "Actions: [MoveTo(door_0), Rotate(90), Observe()]",
           "Actions: [MoveTo(door_0), Rotate(90]", "Actions: [Query('; DROP TABLE x)]", "", "\x00", "A" * 60_000,
           "(" * 60_000, "[" * 60_000, "Actions: [Observe()", "Actions: [Term(), Observe()]", "Actions: [Observe(), Observe()]",
           "\U0001f4a5" * 1000, "\ud800", "Actions: [MoveTo(" + "a" * 50_000 + "), Observe()]", "x" * (MAX_ACTION_CHARS + 1)]
PROBES = [{"global": {"tv": [1e200, 0]}}, {"global": {"tv": {"position": [1e300, 1e300]}}},
          {"global": '{"tv": [1e200, 5]}'}, {"global": 5}, {"global": [1, 2]}, {"bogus": {}},
          {"global": {"tv": {"position": [0, 0], "std": 1e300}}}, {"global": "x" * 1_000_001},
          {"global": {"agent": {"position": ["a", "b"]}}}, {"local": {"tv": [1e200, 1]}}, {"global": None},
          {"unexplored": {"unexplored": 5}}, {"global": {"rooms": [{"objects": 5}], "doors": "x"}}, {"global": True}]

HTTP_CASES = (
    [("POST", "/v1/sessions", raw, {}, False) for raw in CREATE_RAW]
    + [("POST", "/v1/sessions", body, {}, False) for body in CREATE_BAD]
    + [(m, p, b, {"Authorization": a} if a else {}, False) for a in AUTH_BAD
       for m, p, b in (("GET", S, None), ("POST", S + "/step", {"action": "Actions: [Observe()]"}))]
    + [(m, p, None, None, False) for m, p in ROUTES_BAD]
    + [("POST", "/v1/sessions", b"x" * 1_200_000, {}, False), ("POST", S + "/step", {"action": "x" * 1_200_000}, None, False),
       ("POST", S + "/probe", {"global": "x" * 1_200_000}, None, True),
       ("POST", "/v1/sessions", iter([b"{" + b" " * 100_000] * 30), {}, False)]  # chunked, over the limit
    + [("POST", S + "/step", body, None, False) for body in STEP_BAD]
    + [("POST", S + "/step", {"action": a}, None, False) for a in ACTIONS]
    + [("POST", S + "/probe", {"global": {}}, None, False)]  # nothing to probe yet
    + [("POST", S + "/probe", body, None, True) for body in PROBES]
    + [("POST", S + "/probe", b'{"global": ' + b'{"a": ' * 40 + b"1" + b"}" * 41, None, True),
       ("POST", S + "/reset", {"seed": 1}, None, False), ("POST", S + "/reset", b"[", None, False)]
)


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(ServerLimits(max_sessions=8)), raise_server_exceptions=False) as c:
        yield c


def _new(c, **spec):
    out = c.post("/v1/sessions", json={"suite": "tos-2room", "max_steps": 30, **spec}).json()
    return f"/v1/sessions/{out['session_id']}", out["token"]


def _steps(c, url, token):
    r = c.get(url, headers={"Authorization": f"Bearer {token}"})
    return r.json()["steps"] if r.status_code == 200 else None


def _fill(v, **kw):
    if isinstance(v, bytes):
        for k, x in kw.items():
            v = v.replace(b"{" + k.encode() + b"}", x.encode())
        return v
    return v.format(**kw) if isinstance(v, str) and "{" in v else v


def _one_line_error(r):
    assert r.headers["content-type"].startswith("application/json"), r.text[:200]
    body = r.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    assert "\n" not in body["error"] and len(body["error"]) < 600


def test_there_are_enough_hostile_cases():
    assert len(HTTP_CASES) + len(MCP_CASES) >= 100 and len(HTTP_CASES) >= 100


@pytest.mark.parametrize("method,path,body,headers,stepped", HTTP_CASES, ids=[f"http{i}" for i in range(len(HTTP_CASES))])
def test_hostile_http_request(client, method, path, body, headers, stepped):
    url, token = _new(client)
    other_url, other = _new(client)
    auth = {"Authorization": f"Bearer {token}"}
    try:
        if stepped:
            assert client.post(f"{url}/step", json={"action": "Actions: [Rotate(90), Observe()]"}, headers=auth).status_code == 200
        before = _steps(client, url, token)
        hdrs = auth if headers is None else {k: _fill(v, tok=token, other=other) for k, v in headers.items()}
        if isinstance(body, (bytes, type(iter([])))):
            content = body
        else:
            content = None if body is None else json.dumps(body).encode()
        r = client.request(method, path.replace(S, url), content=content, headers=hdrs)
        assert r.status_code < 500, r.text[:300]
        if r.status_code >= 400:
            _one_line_error(r)
            assert _steps(client, url, token) == before  # a refused request changed nothing
        elif "/step" in path:
            invalid = r.json()["info"]["invalid"]
            assert invalid is None or ("\n" not in invalid and len(invalid) < 600)
        # still healthy: health answers and a valid step on the victim works
        assert client.get("/v1/health").status_code == 200
        r = client.post(f"{url}/step", json={"action": "Actions: [Observe()]"}, headers=auth)
        assert r.status_code == 200 and r.json()["info"]["invalid"] is None
    finally:
        for u, t in ((url, token), (other_url, other)):
            client.delete(u, headers={"Authorization": f"Bearer {t}"})
        for created in list(client.app.state.sessions.live.values()):  # sessions a hostile create made anyway
            client.app.state.sessions.pop(created.id)
            created.close()


# -- MCP cases -------------------------------------------------------------------------------
# (setup, tool, arguments): setup is "none" (no episode), "queued" (an episode with one Rotate(90) queued),
# "full" (the queue full), "stepped" (one turn played), "probed" (and its probe sent), "over" (the episode ended)
MCP_CASES = (
    [("queued", "start_episode", {"suite": "tos-2room", **a}) for a in
     ({"seed": -1}, {"seed": "x"}, {"seed": 2**64}, {"index": -1}, {"index": 10**9}, {"max_steps": 0},
      {"max_steps": 10**6}, {"max_steps": "many"}, {"index": 1.5})]
    + [("queued", "start_episode", {"suite": s}) for s in ("tos-9room", 5, "", "x" * 500, None)]
    + [("queued", "rotate", {"degrees": d}) for d in (45, 90.5, "ninety", None, 10**30, 0, [], -360)]
    + [("queued", "rotate", {})]
    + [("queued", "move_to", {"target": t}) for t in ("door_0), Rotate(90", "", "x" * 1000, "tv; Term()", "\u00fc", 5,
                                                        None, "door_0\nRotate(90)", "Observe()", "0door", "door_0)")]
    + [("queued", "query", {"target": t}) for t in ("door_0), Rotate(90", "", "tv)", None, "tv), Term(")]
    + [("queued", "terminate", {}), ("queued", "terminate", {"discard_motions": "maybe"})]
    + [("full", "rotate", {"degrees": 90}), ("full", "move_to", {"target": "door_0"})]
    + [("queued", "probe", {"global_map": "{}"})]  # no turn to probe yet
    + [("stepped", "probe", {"global_map": "x" * 1_000_001}), ("stepped", "probe", {"global_map": 5}),
       ("stepped", "probe", {}), ("stepped", "probe", {"global_map": "{}", "local_map": 5}),
       ("probed", "probe", {"global_map": "{}"})]  # once per turn
    + [("over", t, a) for t, a in (("observe", {}), ("rotate", {"degrees": 90}), ("query", {"target": "tv"}), ("terminate", {}))]
    + [("none", t, a) for t, a in (("observe", {}), ("status", {}), ("record", {}), ("rotate", {"degrees": 90}),
                                    ("probe", {"global_map": "{}"}), ("terminate", {}))]
    + [("queued", "nope", {}), ("queued", "__proto__", {})]
)


@pytest.mark.parametrize("setup,tool,args", MCP_CASES, ids=[f"mcp{i}" for i in range(len(MCP_CASES))])
def test_hostile_mcp_call(setup, tool, args):
    from mcp import Client

    from spacelab.serving.mcp import build_server

    async def play():
        async with Client(build_server()) as c:
            async def ok(name, a):
                r = await c.call_tool(name, a)
                assert not r.is_error, r.content[0].text
                return r.content[0].text

            if setup != "none":
                await ok("start_episode", {"suite": "tos-2room", "max_steps": 3 if setup == "over" else 20})
            if setup == "queued":
                await ok("rotate", {"degrees": 90})
            elif setup == "full":
                for _ in range(MAX_ACTIONS_PER_TURN - 1):
                    await ok("rotate", {"degrees": 90})
            elif setup in ("stepped", "probed"):
                await ok("observe", {})
                if setup == "probed":
                    await ok("probe", {"global_map": '{"tv": [1e200, 0]}'})  # out of range: scored as unreadable
            elif setup == "over":
                await ok("terminate", {})
            before = await ok("status", {}) if setup != "none" else None
            r = await c.call_tool(tool, args)
            text = r.content[0].text
            assert r.is_error, text[:200]
            assert "\n" not in text and len(text) < 600 and text
            if setup != "none":
                assert await ok("status", {}) == before  # the failed call changed nothing
            # still serving: a valid call works
            if setup in ("none", "over"):
                assert "start position" in await ok("start_episode", {"suite": "tos-2room"})
            else:
                assert "turns left" in await ok("observe", {})

    asyncio.run(play())


# -- connection-level abuse against a real uvicorn server on a loopback port -----------------
@pytest.fixture
def live():
    s = EnvServer(port=0, limits=ServerLimits(max_sessions=4, body_timeout_s=0.5, header_timeout_s=0.5)).start()
    yield s
    s.stop()


def _raw(server, data: bytes, wait: float = 5.0, close_after_send: bool = False) -> bytes:
    host, port = server.sock.getsockname()[:2]
    with socket.create_connection((host, port), timeout=wait) as sock:
        sock.sendall(data)
        if close_after_send:
            return b""
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
                if b"\r\n\r\n" in out and _complete(out):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
        return out


def _complete(out: bytes) -> bool:
    head, _, body = out.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _status(out: bytes) -> int:
    return int(out.split(b" ", 2)[1]) if out.startswith(b"HTTP/1.1 ") else 0


def _healthy(server):
    out = _raw(server, b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _status(out) == 200


def test_chunked_create_gives_a_usable_session(live):
    body = json.dumps({"suite": "tos-2room"}).encode()
    out = _raw(live, b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    assert _status(out) == 201
    created = json.loads(out.partition(b"\r\n\r\n")[2])
    step = json.dumps({"action": "Actions: [Observe()]"}).encode()
    out = _raw(live, f"POST /v1/sessions/{created['session_id']}/step HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                     f"{created['token']}\r\nContent-Length: {len(step)}\r\n\r\n".encode() + step)
    assert _status(out) == 200


def test_a_lying_content_length_times_out_and_creates_nothing(live):
    t0 = time.monotonic()
    out = _raw(live, b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}")
    assert _status(out) == 408 and time.monotonic() - t0 < 4
    _raw(live, b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}", close_after_send=True)
    time.sleep(1.0)
    assert len(live.sessions) == 0  # nobody holds a token, so nothing was made
    _healthy(live)


def test_slow_or_silent_connections_are_closed(live):
    host, port = live.sock.getsockname()[:2]
    for data in (b"", b"GET /v1/health HTTP/1.1\r\nHo"):
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(data)
            t0 = time.monotonic()
            assert sock.recv(100) == b""  # closed by the server, not by our timeout
            assert time.monotonic() - t0 < 4
    _healthy(live)


@pytest.mark.parametrize("request_bytes,status", [
    (b"GET /v1/sessions/" + b"0" * 32 + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\x80\r\n\r\n", 404),
    (b"GARBAGE\r\n\r\n", 400),
    (b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    (b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
    (b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"GET /v1/health HTTP/1.1\r\n" + b"X-Big: " + b"a" * 70_000 + b"\r\n\r\n", 400),
])
def test_malformed_http_is_refused_with_4xx(live, request_bytes, status):
    out = _raw(live, request_bytes)
    assert _status(out) in (status, 400, 413, 431) and _status(out) < 500
    _healthy(live)


def test_non_ascii_bearer_token_is_refused_not_crashed(live):
    out = _raw(live, b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    sid = json.loads(out.partition(b"\r\n\r\n")[2])["session_id"]
    out = _raw(live, f"GET /v1/sessions/{sid} HTTP/1.1\r\nHost: x\r\n".encode() + b"Authorization: Bearer \xc3\xa9\xff\r\n\r\n")
    assert _status(out) == 403 and b"does not belong" in out


def test_session_cap_holds_under_30_concurrent_creates():
    import urllib.error
    import urllib.request

    server = EnvServer(port=0, max_sessions=2).start()
    try:
        barrier, codes, peak, stop = threading.Barrier(30), [], [0], threading.Event()

        def create():
            barrier.wait()
            req = urllib.request.Request(f"{server.url}/v1/sessions", data=b'{"suite": "tos-2room"}', method="POST")
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    codes.append(r.status)
            except urllib.error.HTTPError as e:
                codes.append(e.code)

        def watch():
            while not stop.is_set():
                t = server.table
                with t.lock:
                    peak[0] = max(peak[0], len(t.live) + t.reserved)
                time.sleep(0.001)

        watcher = threading.Thread(target=watch)
        watcher.start()
        threads = [threading.Thread(target=create) for _ in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        watcher.join()
        assert sorted(codes) == [201] * 2 + [429] * 28
        assert peak[0] <= 2 and len(server.sessions) == 2
    finally:
        server.stop()


@settings(max_examples=200, deadline=None)
@given(st.text(), st.integers(1, 80))
def test_quoted_client_text_is_one_printable_bounded_line(text, n):
    """What a server error quotes of a client's field names and values: printable (newlines, carriage
    returns and terminal escapes as their escapes), at most n characters and an ellipsis."""
    from spacelab.serving.remote import _clip

    shown = _clip(text, n)
    assert shown.isprintable() and len(shown) <= n + 3
    if text.isprintable() and len(text) <= n:
        assert shown == text
    assert _clip("a\nb\x1b[2J") == "a\\nb\\x1b[2J"
