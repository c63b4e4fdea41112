"""MCP tool server: let an assistant explore a scene through tools.

Tools: start_episode, rotate, move_to (motions are queued, at most
MAX_ACTIONS_PER_TURN - 1 of them), observe and query (each ends the turn and runs the
queued motions first), terminate (ends the exploration; Term() stands alone, so it refuses
while motions are queued unless called with discard_motions=true), probe (report beliefs
about the turn just played), status, record. One episode per server process, as MCP over
stdio serves one client. Run it with ``spacelab mcp`` and register that command with your
assistant.

A tool that cannot do what it was asked raises, so the client sees ``isError: true`` and a
one-line message, and the episode (and the motion queue) stay as they were. Names for
move_to and query are checked as names (letters, digits, _), never pasted into the action
grammar unchecked; whether the name is a seen object is the episode's business (an
invalid action, as for any agent).
"""

from __future__ import annotations

import json
import threading

from scenes.spec import SceneError
from sim.actions import VALID_ROTATIONS
from spacelab.serving.remote import MAX_ACTIONS_PER_TURN, EpisodeSpec, RemoteEpisode, RemoteError, check_name, one_line

DEFAULTS = EpisodeSpec()
MAX_QUEUED = MAX_ACTIONS_PER_TURN - 1  # the final action takes the last place of a turn


class ToolSession:
    """The tool semantics, independent of the MCP transport (and tested as such).
    Every method either does what it says or raises RemoteError/SceneError and changes nothing."""

    def __init__(self) -> None:
        self.episode: RemoteEpisode | None = None

    def start_episode(self, suite: str = DEFAULTS.suite, index: int = DEFAULTS.index,
                      max_steps: int = DEFAULTS.max_steps, seed: int = DEFAULTS.seed) -> str:
        # the same validation as an HTTP request; the old episode stays until the new one is running
        spec = EpisodeSpec.from_dict({"suite": suite, "index": index, "max_steps": max_steps, "seed": seed})
        episode = RemoteEpisode(spec)
        try:
            obs, _ = episode.reset()
        except BaseException:
            episode.close()
            raise
        if self.episode is not None:
            self.episode.close()
        self.episode = episode
        return obs

    def _need(self, playing: bool = False) -> RemoteEpisode:
        if self.episode is None:
            raise RemoteError("no episode: call start_episode first")
        if playing and self.episode.session.done:
            raise RemoteError("the episode is over: call start_episode for a new one")
        return self.episode

    def _queue(self, motion: str) -> str:
        ep = self._need(playing=True)
        if len(ep.motions) >= MAX_QUEUED:
            raise RemoteError(f"{len(ep.motions)} motions are queued, the most one turn can hold; "
                              "end the turn with observe or query first")
        ep.motions.append(motion)
        return f"queued {motion}; it runs with your next observe or query ({len(ep.motions)} queued)"

    def rotate(self, degrees: int) -> str:
        if isinstance(degrees, bool) or not isinstance(degrees, int) or degrees not in VALID_ROTATIONS:
            raise RemoteError(f"degrees must be one of {list(VALID_ROTATIONS)}, got {str(degrees)[:40]!r}")
        return self._queue(f"Rotate({degrees})")

    def move_to(self, target: str) -> str:
        return self._queue(f"MoveTo({check_name(target)})")

    def _turn(self, final: str, motions: list[str]) -> str:
        ep = self._need(playing=True)
        obs, _, term, trunc, info = ep.step("Actions: [" + ", ".join(motions + [final]) + "]")
        ep.motions = []  # only once the turn has been played
        tail = " The episode is over." if term or trunc else f" ({info['steps_left']} turns left)"
        return obs + tail

    def observe(self) -> str:
        return self._turn("Observe()", self._need().motions)

    def query(self, target: str) -> str:
        return self._turn(f"Query({check_name(target)})", self._need().motions)

    def terminate(self, discard_motions: bool = False) -> str:
        ep = self._need(playing=True)
        if ep.motions and not discard_motions:
            raise RemoteError(f"{len(ep.motions)} motion(s) are queued ({', '.join(ep.motions)}) and Term() must stand "
                              "alone: run them with observe, or call terminate with discard_motions=true")
        return self._turn("Term()", [])

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
        ep = self._need()
        return json.dumps({**ep.status(), "queued": list(ep.motions)})

    def record(self) -> str:
        return json.dumps(self._need().record())


def build_server(tools: ToolSession | None = None):
    """The MCP server object (official `mcp` SDK) exposing a ToolSession."""
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError:
        raise RemoteError("the MCP server needs the mcp package: pip install 'spacelab[mcp]'") from None
    from pydantic import BaseModel, ValidationError

    class Server(MCPServer):
        async def call_tool(self, name, arguments, context=None):
            try:
                return await super().call_tool(name, arguments, context)
            except ToolError as e:  # arguments that fail the schema: one line, like every other error
                if isinstance(e.__cause__, ValidationError):
                    raise ToolError(f"Error executing tool {name}: {one_line(e.__cause__, BaseModel)}") from e.__cause__
                raise

    tools = tools or ToolSession()
    server = Server("spacelab", instructions=(
        "Explore a multi-room house with a physics robot. Call start_episode, then turn with rotate and "
        "move_to (queued) and end each turn with observe or query; terminate ends the exploration. After each "
        "turn you may report your map with probe (JSON, start frame: +y = your initial facing)."))

    lock = threading.Lock()  # the SDK runs sync tools on worker threads, maybe several at once

    def call(fn, *args):
        try:
            with lock:
                return fn(*args)
        except (RemoteError, SceneError) as e:  # the client's mistake: isError with the reason, nothing changed
            raise ToolError(" ".join(str(e).split())) from None

    @server.tool(description="Start (or restart) an episode on a scene of a suite; returns the first observation. "
                             "A failed start keeps the current episode.")
    def start_episode(suite: str = DEFAULTS.suite, index: int = DEFAULTS.index,
                      max_steps: int = DEFAULTS.max_steps, seed: int = DEFAULTS.seed) -> str:
        return call(tools.start_episode, suite, index, max_steps, seed)

    @server.tool(description="Queue a turn in place: degrees in 90, 180, 270, -90, -180, -270 (positive = clockwise).")
    def rotate(degrees: int) -> str:
        return call(tools.rotate, degrees)

    @server.tool(description="Queue driving next to an object or into a door (a name such as door_0); "
                             "it must be in view and seen before.")
    def move_to(target: str) -> str:
        return call(tools.move_to, target)

    @server.tool(description="Run the queued motions, then report what is in view (ends the turn, cost 1).")
    def observe() -> str:
        return call(tools.observe)

    @server.tool(description="Run the queued motions, then get the exact position of something seen (cost 2).")
    def query(target: str) -> str:
        return call(tools.query, target)

    @server.tool(description="End the exploration. Refuses while motions are queued (Term() stands alone) "
                             "unless discard_motions is true, which drops them.")
    def terminate(discard_motions: bool = False) -> str:
        return call(tools.terminate, discard_motions)

    @server.tool(description="Report your beliefs after a turn: global_map JSON in the start frame, optionally the "
                             "local map (your frame) and {\"unexplored\": [doors]}. Returns the scores.")
    def probe(global_map: str, local_map: str = "", unexplored: str = "") -> str:
        return call(tools.probe, global_map, local_map, unexplored)

    @server.tool(description="Steps taken and left, what you have observed, cost, queued motions.")
    def status() -> str:
        return call(tools.status)

    @server.tool(description="The episode record (as spacelab stores it).")
    def record() -> str:
        return call(tools.record)

    return server


def main() -> None:
    build_server().run("stdio")
