"""MCP tool server: let an assistant explore a scene through tools.

Tools: start_episode, rotate, move_to (motions are queued), observe, query, terminate
(each ends the turn and runs the queued motions first), probe (report beliefs about the
turn just played), status, record. One episode per server process, as MCP over stdio
serves one client. Run it with ``spacelab mcp`` and register that command with your
assistant.
"""

from __future__ import annotations

import json

from scenes.spec import SceneError
from spacelab.serving.remote import EpisodeSpec, RemoteEpisode, RemoteError


class ToolSession:
    """The tool semantics, independent of the MCP transport (and tested as such)."""

    def __init__(self) -> None:
        self.episode: RemoteEpisode | None = None

    def start_episode(self, suite: str = EpisodeSpec.suite, index: int = EpisodeSpec.index,
                      max_steps: int = EpisodeSpec.max_steps, seed: int = EpisodeSpec.seed) -> str:
        if self.episode is not None:
            self.episode.close()
        try:  # the same validation as an HTTP request (types, bounded budget)
            self.episode = RemoteEpisode(EpisodeSpec.from_dict(dict(suite=suite, index=index, max_steps=max_steps, seed=seed)))
        except (SceneError, RemoteError) as e:
            self.episode = None
            return f"error: {e}"
        obs, _ = self.episode.reset()
        return obs

    def _need(self) -> RemoteEpisode:
        if self.episode is None:
            raise RemoteError("no episode: call start_episode first")
        return self.episode

    def rotate(self, degrees: int) -> str:
        ep = self._need()
        ep.motions.append(f"Rotate({int(degrees)})")
        return f"queued Rotate({int(degrees)}); it runs with your next observe, query or terminate"

    def move_to(self, target: str) -> str:
        ep = self._need()
        ep.motions.append(f"MoveTo({target})")
        return f"queued MoveTo({target}); it runs with your next observe, query or terminate"

    def _turn(self, final: str) -> str:
        ep = self._need()
        actions = [] if final == "Term()" else ep.motions
        turn = "Actions: [" + ", ".join(actions + [final]) + "]"
        ep.motions = []
        obs, _, term, trunc, info = ep.step(turn)
        tail = " The episode is over." if term or trunc else f" ({info['steps_left']} turns left)"
        return obs + tail

    def observe(self) -> str:
        return self._turn("Observe()")

    def query(self, target: str) -> str:
        return self._turn(f"Query({target})")

    def terminate(self) -> str:
        return self._turn("Term()")

    def probe(self, global_map: str, local_map: str = "", unexplored: str = "") -> str:
        answers = {"global": global_map}
        if local_map:
            answers["local"] = local_map
        if unexplored:
            answers["unexplored"] = unexplored
        row = self._need().submit_probes(answers)
        keep = ("pos", "dir", "facing", "overall")
        return json.dumps({k: row[k] for k in keep} if row else {})

    def status(self) -> str:
        return json.dumps(self._need().status())

    def record(self) -> str:
        return json.dumps(self._need().record())


def build_server():
    """The MCP server object (official `mcp` SDK) exposing a ToolSession."""
    try:
        from mcp.server.mcpserver import MCPServer
    except ImportError:
        raise RemoteError("the MCP server needs the mcp package: pip install 'spacelab[mcp]'") from None
    tools = ToolSession()
    server = MCPServer("spacelab", instructions=(
        "Explore a multi-room house with a physics robot. Call start_episode, then turn with rotate and "
        "move_to (queued) and end each turn with observe, query or terminate. After each turn you may report "
        "your map with probe (JSON, start frame: +y = your initial facing)."))

    def wrap(fn):
        def tool(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except (RemoteError, ValueError) as e:
                return f"error: {e}"
        tool.__name__, tool.__doc__ = fn.__name__, fn.__doc__
        return tool

    @server.tool(description="Start (or restart) an episode on a scene of a suite; returns the first observation.")
    def start_episode(suite: str = EpisodeSpec.suite, index: int = EpisodeSpec.index,
                      max_steps: int = EpisodeSpec.max_steps, seed: int = EpisodeSpec.seed) -> str:
        return wrap(tools.start_episode)(suite, index, max_steps, seed)

    @server.tool(description="Queue a turn in place: degrees in 90, 180, 270, -90, -180, -270 (positive = clockwise).")
    def rotate(degrees: int) -> str:
        return wrap(tools.rotate)(degrees)

    @server.tool(description="Queue driving next to an object or into a door; it must be in view and seen before.")
    def move_to(target: str) -> str:
        return wrap(tools.move_to)(target)

    @server.tool(description="Run the queued motions, then report what is in view (ends the turn, cost 1).")
    def observe() -> str:
        return wrap(tools.observe)()

    @server.tool(description="Run the queued motions, then get the exact position of something seen (cost 2).")
    def query(target: str) -> str:
        return wrap(tools.query)(target)

    @server.tool(description="End the exploration.")
    def terminate() -> str:
        return wrap(tools.terminate)()

    @server.tool(description="Report your beliefs after a turn: global_map JSON in the start frame, optionally the "
                             "local map (your frame) and {\"unexplored\": [doors]}. Returns the scores.")
    def probe(global_map: str, local_map: str = "", unexplored: str = "") -> str:
        return wrap(tools.probe)(global_map, local_map, unexplored)

    @server.tool(description="Steps taken and left, what you have observed, cost.")
    def status() -> str:
        return wrap(tools.status)()

    @server.tool(description="The episode record (as spacelab stores it).")
    def record() -> str:
        return wrap(tools.record)()

    return server


def main() -> None:
    build_server().run("stdio")
