import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from fastapi.testclient import TestClient

from planners.agents.sweeper import Scout
from scenes import load_suite_scene
from scenes.spec import SceneError
from sim.actions import parse_turn
from sim.env import ExplorationEnv
from spacelab.evaluation.episode import run_episode
from spacelab.serving.http import EnvServer, ServerLimits, create_app
from spacelab.serving.mcp import ToolSession
from spacelab.serving.remote import MAX_ACTION_CHARS, MAX_ACTIONS_PER_TURN, RemoteError
from tests.fake_llm import Recorder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOLATILE = ("wall_time_s", "agent_stats")
KINDS = ("global", "local", "unexplored")


def _same(remote: dict, local: dict) -> bool:
    return {k: remote[k] for k in local if k not in VOLATILE} == {k: v for k, v in local.items() if k not in VOLATILE}


def call(url, method="GET", body=None, token=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


@pytest.fixture
def server():
    s = EnvServer(port=0, max_sessions=4).start()
    yield s
    s.stop()


def test_http_episode_matches_the_in_process_record(server):
    expected = run_episode(ExplorationEnv(load_suite_scene("tos-3room", 4)), Scout(), seed=4)
    status, out = call(f"{server.url}/v1/sessions", "POST", {"suite": "tos-3room", "index": 4, "seed": 4})
    assert status == 201
    sid, token = out["session_id"], out["token"]
    base = f"{server.url}/v1/sessions/{sid}"
    agent = Scout()
    agent.reset(seed=4)
    agent.observe(out["observation"], out["info"])
    done = False
    while not done:
        status, r = call(f"{base}/step", "POST", {"action": agent.act(out["observation"], out["info"])}, token)
        assert status == 200
        out = r
        agent.observe(r["observation"], r["info"])
        assert call(f"{base}/probe", "POST", {k: agent.probe(k) for k in KINDS}, token)[0] == 200
        done = r["terminated"] or r["truncated"]
    status, rec = call(f"{base}/record", token=token)
    assert status == 200 and rec["scene"] == "tos-3room/4"
    assert _same(rec, expected)


def test_sessions_are_isolated(server):
    a = call(f"{server.url}/v1/sessions", "POST", {"suite": "tos-2room", "index": 0})[1]
    b = call(f"{server.url}/v1/sessions", "POST", {"suite": "tos-2room", "index": 1})[1]
    url_a = f"{server.url}/v1/sessions/{a['session_id']}"
    assert call(f"{url_a}/step", "POST", {"action": "Actions: [Observe()]"}, b["token"])[0] == 403
    assert call(url_a, token=b["token"])[0] == 403
    assert call(f"{url_a}/record", token=b["token"])[0] == 403
    assert call(url_a, "DELETE", token=b["token"])[0] == 403
    assert call(url_a)[0] == 401
    url_b = f"{server.url}/v1/sessions/{b['session_id']}"
    assert call(f"{url_b}/step", "POST", {"action": "Actions: [Observe()]"}, b["token"])[0] == 200
    status, st = call(url_a, token=a["token"])
    assert status == 200 and st["steps"] == 0 and st["observed"] == []  # B's step did not touch A
    assert call(url_a, "DELETE", token=a["token"])[0] == 204
    assert call(url_a, token=a["token"])[0] == 404


@pytest.mark.parametrize(
    "method,path,body,raw,status,msg",
    [
        ("POST", "/v1/sessions", None, b"{not json", 400, "not valid JSON"),
        ("POST", "/v1/sessions", None, b"[1, 2]", 400, "must be a JSON object"),
        ("POST", "/v1/sessions", {"suite": "tos-9room"}, None, 400, "unknown suite"),
        ("POST", "/v1/sessions", {"index": 1000}, None, 400, "out of range"),
        ("POST", "/v1/sessions", {"index": "zero"}, None, 400, "index must be an integer"),
        ("POST", "/v1/sessions", {"colour": "red"}, None, 400, "unknown field(s): colour"),
        ("POST", "/v1/sessions", {"max_steps": 0}, None, 400, "max_steps must be between"),
        ("GET", "/v1/sessions", None, None, 405, "use POST"),
        ("GET", "/v1/nothing", None, None, 404, "no such route"),
        ("GET", "/v1/sessions/" + "0" * 32, None, None, 404, "no session"),
        ("POST", "/v1/sessions", None, b"x" * 1_200_000, 413, "over the"),
    ],
)
def test_malformed_requests_get_4xx(server, method, path, body, raw, status, msg):
    got, out = call(server.url + path, method, body, raw=raw)
    assert got == status and msg in out["error"]
    assert call(f"{server.url}/v1/health")[0] == 200  # still serving


def test_session_state_errors(server):
    s = call(f"{server.url}/v1/sessions", "POST", {"suite": "tos-2room", "max_steps": 1})[1]
    url, tok = f"{server.url}/v1/sessions/{s['session_id']}", s["token"]
    assert call(f"{url}/step", "POST", {}, tok) == (400, {"error": "missing field 'action'"})
    assert call(f"{url}/probe", "POST", {"global": {}}, tok)[0] == 400  # nothing to probe yet
    st, r = call(f"{url}/step", "POST", {"action": "Actions: [Dance()]"}, tok)
    assert st == 200 and "unknown action" in r["info"]["invalid"] and r["truncated"]
    assert call(f"{url}/probe", "POST", {"global": "not json"}, tok)[0] == 200
    assert call(f"{url}/probe", "POST", {"global": {}}, tok)[0] == 400  # once per turn
    st, r = call(f"{url}/step", "POST", {"action": "Actions: [Observe()]"}, tok)
    assert st == 400 and "episode is over" in r["error"]
    for _ in range(3):
        call(f"{server.url}/v1/sessions", "POST", {})
    assert call(f"{server.url}/v1/sessions", "POST", {})[0] == 429


def _script_of_scout(index: int):
    rec_agent = Recorder()
    expected = run_episode(ExplorationEnv(load_suite_scene("tos-3room", index)), rec_agent, seed=index)
    return expected, rec_agent


def test_mcp_tool_semantics_match_the_in_process_record():
    expected = run_episode(ExplorationEnv(load_suite_scene("tos-3room", 2)), Scout(), seed=2)
    tools, agent = ToolSession(), Scout()
    agent.reset(seed=2)
    tools.start_episode("tos-3room", 2, 20, 2)
    ep = tools.episode
    agent.observe("", ep.session.info)
    while not ep.session.done:
        actions = parse_turn(agent.act("", ep.session.info))
        for a in actions[:-1]:
            (tools.rotate(a.degrees) if type(a).__name__ == "Rotate" else tools.move_to(a.target))
        final = type(actions[-1]).__name__
        {"Observe": tools.observe, "Term": tools.terminate}.get(final, lambda: tools.query(actions[-1].target))()
        agent.observe("", ep.session.info)
        tools.probe(*(json.dumps(agent.probe(k)) for k in KINDS))
    assert _same(json.loads(tools.record()), expected)


@pytest.mark.slow
def test_mcp_server_over_stdio_plays_an_episode():
    from mcp import Client, StdioServerParameters

    expected, rec = _script_of_scout(1)
    turns = [t for t in rec.script if "Actions:" in t]

    async def play():
        params = StdioServerParameters(command=sys.executable, args=["-m", "spacelab.cli", "mcp"], cwd=ROOT,
                                       env={**os.environ, "PYTHONPATH": ROOT})
        async with Client(params) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"observe", "move_to", "rotate", "query", "probe", "terminate"} <= names
            await client.call_tool("start_episode", {"suite": "tos-3room", "index": 1, "seed": 1})
            # replay the scout's turns and its probe answers through the tools
            answers = iter([t for t in rec.script if "Actions:" not in t])
            for turn in turns:
                actions = parse_turn(turn.split("\n")[-1])
                for a in actions[:-1]:
                    if type(a).__name__ == "Rotate":
                        await client.call_tool("rotate", {"degrees": a.degrees})
                    else:
                        await client.call_tool("move_to", {"target": a.target})
                final = type(actions[-1]).__name__
                out = await client.call_tool({"Observe": "observe", "Term": "terminate"}[final], {})
                assert "error" not in out.content[0].text
                probe = {"global_map": next(answers)}
                if final == "Observe":
                    probe |= {"local_map": next(answers), "unexplored": next(answers)}
                await client.call_tool("probe", probe)
            out = await client.call_tool("record", {})
            return json.loads(out.content[0].text)

    rec_remote = asyncio.run(play())
    assert _same(rec_remote, expected)


def test_mcp_tools_raise_errors_and_change_nothing():
    tools = ToolSession()
    with pytest.raises(RemoteError, match="start_episode first"):
        tools.observe()
    with pytest.raises(SceneError, match="unknown suite"):
        tools.start_episode("tos-9room")
    assert tools.episode is None
    tools.start_episode("tos-2room", 0)
    ep = tools.episode
    tools.rotate(90)
    with pytest.raises(RemoteError, match="seed must be between"):  # a failed start keeps the episode
        tools.start_episode("tos-2room", 0, seed=-1)
    assert tools.episode is ep and ep.motions == ["Rotate(90)"]
    with pytest.raises(RemoteError, match="bad target"):  # never spliced into the grammar
        tools.move_to("door_0), Rotate(90")
    with pytest.raises(RemoteError, match="degrees must be one of"):
        tools.rotate(45)
    with pytest.raises(RemoteError, match="Term\\(\\) must stand alone"):  # refused, the queue kept
        tools.terminate()
    assert ep.motions == ["Rotate(90)"] and ep.env.steps == 0
    tools.move_to("unicorn")  # a well-formed name: whether it exists is the episode's business
    assert "unknown object 'unicorn'" in tools.observe() and ep.motions == [] and ep.env.steps == 1
    for _ in range(MAX_ACTIONS_PER_TURN - 1):
        tools.rotate(90)
    with pytest.raises(RemoteError, match="the most one turn can hold"):
        tools.rotate(90)
    assert "Exploration terminated" in tools.terminate(discard_motions=True) and ep.motions == []
    with pytest.raises(RemoteError, match="episode is over"):
        tools.observe()


def test_mcp_errors_come_back_with_is_error():
    from mcp import Client

    from spacelab.serving.mcp import build_server

    async def play():
        async with Client(build_server()) as client:
            bad = await client.call_tool("start_episode", {"suite": "tos-2room", "seed": -1})
            assert bad.is_error and "seed must be between" in bad.content[0].text
            ok = await client.call_tool("start_episode", {"suite": "tos-2room"})
            assert not ok.is_error and ok.content[0].text.startswith("You are at your start position")
            bad = await client.call_tool("rotate", {"degrees": "ninety"})
            assert bad.is_error and "\n" not in bad.content[0].text and "degrees must be an integer" in bad.content[0].text
            out = await client.call_tool("observe", {})
            assert not out.is_error and "19 turns left" in out.content[0].text

    asyncio.run(play())


def test_mcp_help_prints_help_instead_of_serving():
    out = subprocess.run([sys.executable, "-m", "spacelab.cli", "mcp", "--help"], check=False, cwd=ROOT, capture_output=True,
                         text=True, timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0 and "usage: spacelab mcp" in out.stdout and "stdio" in out.stdout


# -- the FastAPI app in-process (TestClient) ----------------------------------------------
@pytest.fixture
def client():
    app = create_app(ServerLimits(max_sessions=4))
    with TestClient(app) as c:
        yield c


def _session(c, **spec):
    r = c.post("/v1/sessions", json={"suite": "tos-2room", **spec})
    assert r.status_code == 201, r.text
    out = r.json()
    return f"/v1/sessions/{out['session_id']}", {"Authorization": f"Bearer {out['token']}"}, out


def test_a_refused_step_uses_no_turn(client):
    url, auth, _ = _session(client)
    for body in ({"action": "Actions: [" + "Rotate(90), " * MAX_ACTIONS_PER_TURN + "Observe()]"},
                 {"action": 5}, {"action": "x" * (MAX_ACTION_CHARS + 1)}, {"turn": "Actions: [Observe()]"}):
        r = client.post(f"{url}/step", json=body, headers=auth)
        assert r.status_code in (400, 413) and "\n" not in r.json()["error"]
    st = client.get(url, headers=auth).json()
    assert st["steps"] == 0 and client.get(f"{url}/record", headers=auth).json()["actions"] == []
    r = client.post(f"{url}/step", json={"action": "Actions: [Rotate(inf), Observe()]"}, headers=auth)
    assert r.status_code == 200 and "whole degrees" in r.json()["info"]["invalid"]  # an invalid action: recorded
    assert client.get(f"{url}/record", headers=auth).json()["n_invalid"] == 1


def test_rgbd_and_vision_observations_are_json(client):
    import base64

    import cv2
    import numpy as np

    url, auth, _ = _session(client, obs_mode="rgbd")
    info = client.post(f"{url}/step", json={"action": "Actions: [Rotate(90), Observe()]"}, headers=auth).json()["info"]
    f = info["frame"]
    png = {k: cv2.imdecode(np.frombuffer(base64.b64decode(f[k]), np.uint8), cv2.IMREAD_UNCHANGED)
           for k in ("rgb_png", "depth_png_mm", "segmentation_png")}
    assert png["rgb_png"].shape == (f["height"], f["width"], 3) and png["depth_png_mm"].dtype == np.uint16
    assert png["depth_png_mm"].max() > 0 and png["segmentation_png"].max() >= 1  # something seen, in mm and ids + 1
    url, auth, _ = _session(client, obs_mode="vision")
    info = client.post(f"{url}/step", json={"action": "Actions: [Observe()]"}, headers=auth).json()["info"]
    assert info["image_mime"] == "image/png" and base64.b64decode(info["image"]).startswith(b"\x89PNG")


def test_sessions_expire_when_idle():
    app = create_app(ServerLimits(max_sessions=2, session_ttl_s=0.3))
    with TestClient(app) as c:
        url, auth, _ = _session(c)
        _session(c)
        assert c.post("/v1/sessions", json={}).status_code == 429
        time.sleep(0.5)
        assert c.get(url, headers=auth).status_code == 404  # expired
        _session(c)  # the cap has room again
        time.sleep(0.8)  # the reaper closes the rest without a request
        assert c.get("/v1/health").json()["sessions"] == 0


def test_server_key_guards_session_creation():
    with TestClient(create_app(ServerLimits(server_key="s3cret"))) as c:
        assert c.post("/v1/sessions", json={}).status_code == 401
        assert c.post("/v1/sessions", json={}, headers={"Authorization": "Bearer nope"}).status_code == 403
        assert c.post("/v1/sessions", json={"suite": "tos-2room"}, headers={"Authorization": "Bearer s3cret"}).status_code == 201


def test_openapi_schema_lists_the_models(client):
    schema = client.get("/v1/openapi.json").json()
    assert {"/v1/sessions", "/v1/sessions/{sid}/step", "/v1/sessions/{sid}/probe", "/v1/health"} <= set(schema["paths"])
    assert {"Stepped", "StepInfo", "Created", "Health"} <= set(schema["components"]["schemas"])


def test_an_internal_error_is_a_500_and_stops_the_session(client):
    url, auth, _ = _session(client)
    sid = url.rsplit("/", 1)[1]
    episode = client.app.state.sessions.live[sid].episode

    def broken(*a, **k):
        episode.env.steps += 1  # half applied, then a bug
        raise RuntimeError("boom")

    episode.env.step = broken
    with TestClient(client.app, raise_server_exceptions=False) as c:
        r = c.post(f"{url}/step", json={"action": "Actions: [Observe()]"}, headers=auth)
        assert r.status_code == 500 and r.json() == {"error": "internal error (RuntimeError); the server log has the details"}
        r = c.post(f"{url}/step", json={"action": "Actions: [Observe()]"}, headers=auth)
        assert r.status_code == 409 and "failed" in r.json()["error"]  # never a silent, half-recorded turn
        assert c.get(url, headers=auth).json()["failed"].startswith("internal error")
        assert c.post(f"{url}/reset", headers=auth).status_code == 200  # reset is how a client recovers
        assert c.get(url, headers=auth).json()["failed"] is None
