"""HTTP environment server (FastAPI + uvicorn): create episodes, reset, step, probe, close.

JSON in, JSON out, several sessions at once. Each session has its own environment and a
secret token returned at creation; every call on a session must carry it as
``Authorization: Bearer <token>``, so one client cannot read or change another's episode.

    POST   /v1/sessions                 {"suite": "tos-3room", "index": 0, "max_steps": 20, ...} -> 201
    GET    /v1/sessions/{id}            status
    POST   /v1/sessions/{id}/reset
    POST   /v1/sessions/{id}/step       {"action": "Actions: [Rotate(90), Observe()]"}
    POST   /v1/sessions/{id}/probe      {"global": {...}, "local": {...}, "unexplored": {...}}
    GET    /v1/sessions/{id}/record     the episode record (as in episodes.jsonl)
    DELETE /v1/sessions/{id}
    GET    /v1/health                   (OpenAPI schema at /v1/openapi.json, docs at /v1/docs)

Request and response bodies are pydantic models (below). Bad input gets a 4xx with one
line of JSON, {"error": message}; a 500 means a bug in the server. Every session field is
checked (`EpisodeSpec`); a turn holds at most `MAX_ACTIONS_PER_TURN` actions; bodies are
at most `MAX_BODY` bytes, JSON nested at most `MAX_DEPTH` deep, numbers finite. A refused
request (4xx) changes nothing: a step either applies whole or not at all (a turn that
breaks the action grammar is still played as an invalid action, recorded, as in-process).

All work on a session's environment runs on that session's own thread, so renderers
(MuJoCo GL contexts are bound to the thread that made them) work whichever connection a
request arrives on. Sessions are capped (`max_sessions`, checked and taken under one
lock), expire after `session_ttl_s` idle, and need a server key to be created when one
is set (``--key`` or $SPACELAB_SERVER_KEY, sent as ``Authorization: Bearer <key>``).
Connections get header, body and keep-alive timeouts. rgbd frames come back as PNGs
(base64): RGB, depth as 16-bit millimetres, segmentation as entity index + 1.

Start it with ``spacelab serve --port 8765`` (binds 127.0.0.1 unless told otherwise).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import os
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from scenes.spec import SceneError
from spacelab.serving.remote import EpisodeSpec, RemoteEpisode, RemoteError, one_line, wire_info

SERVER_KEY_ENV = "SPACELAB_SERVER_KEY"
MAX_BODY = 1_100_000  # bytes: a 1 MB probe reply plus JSON overhead
MAX_DEPTH = 32  # JSON nesting
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
log = logging.getLogger("spacelab.serving")


@dataclass
class ServerLimits:
    max_sessions: int = 32
    session_ttl_s: float = 1800.0  # idle time after which a session is closed
    max_body: int = MAX_BODY
    body_timeout_s: float = 20.0  # to receive a request body once its headers arrived
    header_timeout_s: float = 10.0  # to receive a request's headers on an open connection
    keep_alive_s: int = 5  # idle keep-alive connections are closed after this
    backlog: int = 2048
    server_key: str | None = None  # needed to create sessions when set


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# -- wire models -----------------------------------------------------------------------
class StepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    action: str = Field(description="one turn, e.g. 'Actions: [Rotate(90), Observe()]'")


class ProbeRequest(BaseModel):
    """Beliefs after the last turn: maps as JSON objects or text (a model's raw reply)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    global_: dict[str, Any] | str | None = Field(None, alias="global", description="start-frame map")
    local: dict[str, Any] | str | None = Field(None, description="agent-frame map of what the last Observe showed")
    unexplored: dict[str, Any] | str | None = Field(None, description='{"unexplored": [door names]}')


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FrameData(BaseModel):
    width: int
    height: int
    fovy_deg: float
    rgb_png: str = Field(description="base64 PNG, 8-bit RGB")
    depth_png_mm: str = Field(description="base64 PNG, 16-bit depth in millimetres, 0 = nothing within 65.5 m")
    segmentation_png: str = Field(description="base64 PNG, 16-bit entity index + 1 (info.entities), 0 = background")
    cam_pos: list[float]
    cam_rot: list[list[float]]


class StepInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    step: int
    steps_left: int
    turn: str
    final: str | None
    invalid: str | None
    sightings: list[dict[str, Any]]
    new: list[str]
    observed: list[str]
    coverage: float
    pose: dict[str, Any]
    cost: int
    physics_steps: int
    contact_ticks: int
    image: str | None = Field(None, description="vision mode: the camera view, base64 (image_mime)")
    image_mime: str | None = None
    frame: FrameData | None = Field(None, description="rgbd mode: RGB, depth and segmentation")


class Created(BaseModel):
    session_id: str
    token: str
    observation: str
    info: StepInfo


class Observation(BaseModel):
    observation: str
    info: StepInfo


class Stepped(BaseModel):
    observation: str
    reward: float
    terminated: bool
    truncated: bool
    info: StepInfo


class Status(BaseModel):
    suite: str
    index: int
    steps: int
    steps_left: int
    done: bool
    observed: list[str]
    cost: int
    pending_probe: bool
    failed: str | None


class Scores(BaseModel):
    scores: dict[str, Any] | None


class Record(BaseModel):
    model_config = ConfigDict(extra="allow")
    suite: str
    index: int
    seed: int
    scene: str
    steps: int
    actions: list[str]


class Health(BaseModel):
    ok: bool
    sessions: int
    max_sessions: int


class ErrorBody(BaseModel):
    error: str


# -- sessions --------------------------------------------------------------------------
class Session:
    """One episode and the one thread that touches it."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex
        self.token = secrets.token_urlsafe(24)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spacelab-session")
        self.episode: RemoteEpisode | None = None
        self.last_used = time.monotonic()
        self.busy = 0
        self.closed = False

    def close(self) -> None:
        """Close the episode on its own thread (its renderer lives there), then the thread."""
        if self.closed:
            return
        self.closed = True
        if self.episode is not None:
            self.executor.submit(self.episode.close)
        self.executor.shutdown(wait=False)


class SessionTable:
    """Live sessions; the cap is checked and a place taken under one lock."""

    def __init__(self, max_sessions: int, ttl_s: float) -> None:
        self.max_sessions, self.ttl_s = max_sessions, ttl_s
        self.lock = threading.Lock()
        self.live: dict[str, Session] = {}
        self.reserved = 0

    def __len__(self) -> int:
        return len(self.live)

    def _expired_locked(self) -> list[Session]:
        now = time.monotonic()
        gone = [s for s in self.live.values() if not s.busy and now - s.last_used > self.ttl_s]
        for s in gone:
            del self.live[s.id]
        return gone

    def reserve(self) -> None:
        with self.lock:
            gone = self._expired_locked()
            full = len(self.live) + self.reserved >= self.max_sessions
            if not full:
                self.reserved += 1
        for s in gone:
            s.close()
        if full:
            raise HttpError(429, f"too many sessions ({self.max_sessions}); DELETE finished ones first")

    def add(self, s: Session) -> None:
        with self.lock:
            self.reserved -= 1
            self.live[s.id] = s

    def release(self) -> None:
        with self.lock:
            self.reserved -= 1

    def lookup(self, sid: str) -> Session:
        with self.lock:
            s = self.live.get(sid)
            if s is not None and not s.busy and time.monotonic() - s.last_used > self.ttl_s:
                del self.live[sid]
                expired, s = s, None
            else:
                expired = None
        if expired is not None:
            expired.close()
        if s is None:
            raise HttpError(404, f"no session {sid[:40]} (sessions expire after {self.ttl_s:g} s idle)")
        return s

    def pop(self, sid: str) -> Session | None:
        with self.lock:
            return self.live.pop(sid, None)

    def sweep(self) -> int:
        with self.lock:
            gone = self._expired_locked()
        for s in gone:
            s.close()
        return len(gone)

    def close_all(self) -> None:
        with self.lock:
            gone, self.live = list(self.live.values()), {}
        for s in gone:
            s.close()

    async def run(self, s: Session, fn: Callable, *args):
        """Run fn(*args) on the session's thread; the session cannot expire meanwhile."""
        with self.lock:
            if s.closed:
                raise HttpError(404, f"no session {s.id} (it was closed)")
            s.busy += 1
            s.last_used = time.monotonic()
        try:
            try:
                future = s.executor.submit(fn, *args)
            except RuntimeError:  # closed between the check and here
                raise HttpError(404, f"no session {s.id} (it was closed)") from None
            return await asyncio.wrap_future(future)
        finally:
            with self.lock:
                s.busy -= 1
                s.last_used = time.monotonic()


# -- request helpers -------------------------------------------------------------------
def _line(msg: str, limit: int = 500) -> str:
    msg = re.sub(r"\s*[\r\n]+\s*", " ", str(msg)).strip()
    return msg if len(msg) <= limit else msg[:limit] + "..."


def _error(status: int, msg: str) -> Response:
    return Response(json.dumps({"error": _line(msg)}), status, media_type="application/json")


def _json(model: BaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json(exclude_unset=True, fallback=_fallback), status, media_type="application/json")


def _fallback(x):
    item = getattr(x, "item", None)  # numpy scalars
    if callable(item):
        return item()
    tolist = getattr(x, "tolist", None)
    return tolist() if callable(tolist) else str(x)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def decode_json(raw: bytes) -> dict:
    """A request body as a JSON object: bounded depth, finite numbers, or an HttpError."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise HttpError(400, "body is not valid JSON: it is not UTF-8") from None
    except RecursionError:
        raise HttpError(400, f"body is not valid JSON: nested more than {MAX_DEPTH} levels") from None
    except ValueError as e:  # JSONDecodeError, NaN/Infinity, integers with thousands of digits
        raise HttpError(400, f"body is not valid JSON: {_line(e, 200)}") from None
    stack = [(body, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, (dict, list)):
            if depth > MAX_DEPTH:
                raise HttpError(400, f"body is nested more than {MAX_DEPTH} levels")
            stack.extend((x, depth + 1) for x in (v.values() if isinstance(v, dict) else v))
            if isinstance(v, dict):
                stack.extend((k, depth) for k in v)
        elif isinstance(v, float) and not math.isfinite(v):
            raise HttpError(400, "body has a number too large to be finite")
        elif isinstance(v, str) and not v.isascii():
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate escape such as "\\ud800"
                raise HttpError(400, "body has a string that is not valid Unicode (a lone surrogate)") from None
    if not isinstance(body, dict):
        raise HttpError(400, "body must be a JSON object")
    return body


async def read_json(request: Request, limits: ServerLimits) -> dict:
    """The body as a JSON object. Over the limit: 413, after reading (and dropping) up to 8x the
    limit so that the client, still sending, gets the answer instead of a reset connection."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or len(length) > 15):
        raise HttpError(400, "bad Content-Length")
    if length is not None and "transfer-encoding" in request.headers:  # ambiguous framing: a smuggling trick
        raise HttpError(400, "send Content-Length or Transfer-Encoding, not both")
    drain = 8 * limits.max_body
    if length is not None and int(length) > drain:
        raise HttpError(413, f"request body of {length} bytes is over the {limits.max_body} limit")

    async def collect() -> bytes:
        chunks, n = [], 0
        async for chunk in request.stream():
            n += len(chunk)
            if n > drain:
                break
            if n <= limits.max_body:
                chunks.append(chunk)
        if n > limits.max_body:
            raise HttpError(413, f"request body of {length or 'more than ' + str(n)} bytes is over the {limits.max_body} limit")
        return b"".join(chunks)

    try:
        raw = await asyncio.wait_for(collect(), limits.body_timeout_s)
    except TimeoutError:
        raise HttpError(408, f"request body not received within {limits.body_timeout_s:g} s") from None
    except ClientDisconnect:
        raise HttpError(400, "the client went away before sending the whole body") from None
    return decode_json(raw)


def _validate(model: type[BaseModel], body: dict) -> BaseModel:
    try:
        return model.model_validate(body)
    except ValidationError as e:
        raise HttpError(400, one_line(e, model)) from None


def _bearer(request: Request, what: str = "<token>' header (the token came with the session)") -> bytes:
    auth = request.headers.get("authorization", "")
    if not auth.startswith("Bearer "):
        raise HttpError(401, f"missing 'Authorization: Bearer {what}")
    return auth[7:].strip().encode("utf-8", "surrogateescape")  # headers arrive as latin-1: any byte compares


def _build(episode_call: Callable, respond: Callable):
    """On the session thread: run the call, then build the response; a failure while
    building (a bug) marks the episode failed rather than leaving a step unreported."""

    def work(ep: RemoteEpisode):
        out = episode_call(ep)
        try:
            return respond(out)
        except Exception:
            ep.failed = "internal error while answering"
            raise

    return work


# -- the application -------------------------------------------------------------------
def create_app(limits: ServerLimits | None = None, table: SessionTable | None = None) -> FastAPI:
    limits = limits if limits is not None else ServerLimits()
    table = table if table is not None else SessionTable(limits.max_sessions, limits.session_ttl_s)

    @asynccontextmanager
    async def lifespan(app):
        async def reap():
            while True:
                await asyncio.sleep(max(0.05, min(30.0, limits.session_ttl_s / 4)))
                table.sweep()

        task = asyncio.create_task(reap())
        try:
            yield
        finally:
            task.cancel()

    app = FastAPI(title="spacelab env server", version="1", lifespan=lifespan, docs_url="/v1/docs",
                  openapi_url="/v1/openapi.json", redoc_url=None,
                  responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}})
    app.state.sessions = table
    app.state.limits = limits

    @app.exception_handler(HttpError)
    async def _http_error(request, e: HttpError):
        return _error(e.status, str(e))

    @app.exception_handler(RemoteError)
    async def _remote_error(request, e: RemoteError):
        return _error(e.status, str(e))

    @app.exception_handler(SceneError)  # unknown suite, index out of range
    async def _scene_error(request, e: SceneError):
        return _error(400, str(e))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, e: RequestValidationError):
        first = (e.errors() or [{}])[0]
        return _error(400, f"{'.'.join(str(p) for p in first.get('loc', ()))}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def _starlette_error(request: Request, e: StarletteHTTPException):
        where = f"{request.method} {_line(request.url.path, 100)}"
        if e.status_code == 404:
            return _error(404, f"no such route: {where}")
        if e.status_code == 405:
            allow = sorted({m for r in app.routes if getattr(r, "path_regex", None) and r.path_regex.match(request.url.path)
                            for m in (getattr(r, "methods", None) or ())})
            return _error(405, f"{request.method} is not allowed on {_line(request.url.path, 100)}; use {', '.join(allow)}")
        return _error(e.status_code, str(e.detail))

    @app.exception_handler(Exception)
    async def _bug(request, e: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _error(500, f"internal error ({type(e).__name__}); the server log has the details")

    async def session_of(request: Request, sid: str) -> Session:
        if not SESSION_ID.match(sid):
            raise HttpError(404, f"no session {_line(sid, 40)}")
        s = table.lookup(sid)
        if not hmac.compare_digest(_bearer(request), s.token.encode()):
            raise HttpError(403, "this token does not belong to that session")
        return s

    @app.get("/v1/health", response_model=Health)
    async def health():
        return _json(Health(ok=True, sessions=len(table), max_sessions=limits.max_sessions))

    @app.post("/v1/sessions", status_code=201, response_model=Created,
              openapi_extra={"requestBody": {"content": {"application/json": {"schema": EpisodeSpec.model_json_schema()}}}})
    async def create(request: Request):
        key = limits.server_key
        if key and not hmac.compare_digest(_bearer(request, "<key>' header: this server needs its key to create sessions"),
                                           key.encode()):
            raise HttpError(403, "creating sessions needs the server key: 'Authorization: Bearer <key>'")
        spec = EpisodeSpec.from_dict(await read_json(request, limits))
        table.reserve()
        s = Session()

        def start() -> Response:
            s.episode = RemoteEpisode(spec)
            obs, info = s.episode.reset()
            return _json(Created(session_id=s.id, token=s.token, observation=obs,
                                 info=StepInfo.model_validate(wire_info(info))), 201)

        try:
            response = await asyncio.wrap_future(s.executor.submit(start))
            if await request.is_disconnected():  # nobody would hold the token
                raise HttpError(400, "the client went away before the session was handed over")
        except BaseException:
            table.release()
            s.close()
            raise
        table.add(s)
        return response

    @app.get("/v1/sessions/{sid}", response_model=Status)
    async def status(request: Request, sid: str):
        s = await session_of(request, sid)
        return await table.run(s, lambda: _json(Status(**s.episode.status())))

    @app.delete("/v1/sessions/{sid}", status_code=204, response_class=Response)
    async def close(request: Request, sid: str):
        s = await session_of(request, sid)
        if table.pop(s.id) is not None:
            s.close()
        return Response(status_code=204)

    @app.post("/v1/sessions/{sid}/reset", response_model=Observation)
    async def reset(request: Request, sid: str):
        s = await session_of(request, sid)
        _validate(ResetRequest, await read_json(request, limits))

        def respond(out):
            obs, info = out
            return _json(Observation(observation=obs, info=StepInfo.model_validate(wire_info(info))))

        return await table.run(s, _build(lambda ep: ep.reset(), respond), s.episode)

    @app.post("/v1/sessions/{sid}/step", response_model=Stepped,
              openapi_extra={"requestBody": {"content": {"application/json": {"schema": StepRequest.model_json_schema()}}}})
    async def step(request: Request, sid: str):
        s = await session_of(request, sid)
        req = _validate(StepRequest, await read_json(request, limits))

        def respond(out):
            obs, reward, term, trunc, info = out
            return _json(Stepped(observation=obs, reward=reward, terminated=term, truncated=trunc,
                                 info=StepInfo.model_validate(wire_info(info))))

        return await table.run(s, _build(lambda ep: ep.step(req.action), respond), s.episode)

    @app.post("/v1/sessions/{sid}/probe", response_model=Scores,
              openapi_extra={"requestBody": {"content": {"application/json": {"schema": ProbeRequest.model_json_schema()}}}})
    async def probe(request: Request, sid: str):
        s = await session_of(request, sid)
        req = _validate(ProbeRequest, await read_json(request, limits))
        answers = {ProbeRequest.model_fields[k].alias or k: getattr(req, k) for k in req.model_fields_set}
        return await table.run(s, _build(lambda ep: ep.submit_probes(answers), lambda row: _json(Scores(scores=row))),
                               s.episode)

    @app.get("/v1/sessions/{sid}/record", response_model=Record)
    async def record(request: Request, sid: str):
        s = await session_of(request, sid)
        return await table.run(s, _build(lambda ep: ep.record(), lambda rec: _json(Record.model_validate(rec))), s.episode)

    return app


# -- the server ------------------------------------------------------------------------
def _protocol(header_timeout_s: float):
    """uvicorn's h11 protocol with a deadline for a request's headers (uvicorn's own
    keep-alive timer stops at the first byte, so a slow client could hold a connection)."""
    try:
        import h11
        from uvicorn.protocols.http.h11_impl import H11Protocol
    except ImportError:  # pragma: no cover - a uvicorn without the h11 protocol
        return "h11"

    class Protocol(H11Protocol):
        deadline = None

        def _arm(self) -> None:
            self._disarm()
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                self.deadline = self.loop.call_later(header_timeout_s, self._expire)

        def _disarm(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
                self.deadline = None

        def _expire(self) -> None:
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                # headers and body go out as two writes: without this, Nagle + delayed ACK add ~40 ms
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._arm()

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state is not h11.IDLE:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

    return Protocol


class EnvServer:
    """The app on a uvicorn server bound to host:port (port 0 picks a free one)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8765, max_sessions: int = 32, *,
                 session_ttl_s: float = 1800.0, server_key: str | None = None, limits: ServerLimits | None = None) -> None:
        import uvicorn

        if limits is None:
            limits = ServerLimits(max_sessions=max_sessions, session_ttl_s=session_ttl_s,
                                  server_key=server_key if server_key is not None else os.environ.get(SERVER_KEY_ENV) or None)
        self.limits = limits
        self.table = SessionTable(limits.max_sessions, limits.session_ttl_s)
        self.app = create_app(limits, self.table)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY for TCP
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, port))
            self.sock.listen(limits.backlog)
        except OSError:
            self.sock.close()
            raise
        config = uvicorn.Config(self.app, http=_protocol(limits.header_timeout_s), ws="none", lifespan="on",
                                timeout_keep_alive=limits.keep_alive_s, backlog=limits.backlog, access_log=False,
                                log_level="warning", timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    @property
    def sessions(self) -> dict[str, Session]:
        return self.table.live

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def serve_forever(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.table.close_all()

    def start(self, timeout: float = 30.0) -> EnvServer:
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True,
                                       name="spacelab-http")
        self.thread.start()
        t0 = time.monotonic()
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() - t0 > timeout:
                raise RuntimeError("the HTTP server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=15)
        self.sock.close()
        self.table.close_all()
