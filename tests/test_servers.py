import asyncio
import json
import os
import sys
import urllib.error
import urllib.request

import pytest

from planners.agents.sweeper import Scout
from scenes import load_suite_scene
from sim.actions import parse_turn
from sim.env import ExplorationEnv
from spacelab.evaluation.episode import run_episode
from spacelab.serving.http import EnvServer
from spacelab.serving.mcp import ToolSession
from tests.test_llm import Recorder

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


def test_mcp_tools_report_errors_as_text():
    tools = ToolSession()
    with pytest.raises(ValueError, match="start_episode first"):
        tools.observe()
    assert tools.start_episode("tos-9room").startswith("error: unknown suite")
    tools.start_episode("tos-2room", 0)
    tools.move_to("unicorn")
    assert "unknown object 'unicorn'" in tools.observe()
