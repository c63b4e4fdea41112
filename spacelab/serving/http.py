"""HTTP environment server: create episodes from a config, reset, step, probe, close.

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
    GET    /v1/health

Malformed requests get a 4xx with {"error": message}; nothing a client sends stops the server.
Start it with ``spacelab serve --port 8765`` (binds 127.0.0.1 unless told otherwise).
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import threading
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from scenes.spec import SceneError
from spacelab.serving.remote import EpisodeSpec, RemoteEpisode, RemoteError

MAX_BODY = 1_100_000  # bytes: a 1 MB reply plus JSON overhead
ROUTE = re.compile(r"^/v1/sessions/([0-9a-f]{32})(?:/(reset|step|probe|record))?$")


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Session:
    def __init__(self, episode: RemoteEpisode) -> None:
        self.episode = episode
        self.token = secrets.token_urlsafe(24)
        self.lock = threading.Lock()


class EnvServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 8765, max_sessions: int = 32) -> None:
        self.sessions: dict[str, _Session] = {}
        self.lock = threading.Lock()
        self.max_sessions = max_sessions
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server._handle(self, "GET")

            def do_POST(self):
                server._handle(self, "POST")

            def do_DELETE(self):
                server._handle(self, "DELETE")

            def do_PUT(self):
                server._handle(self, "PUT")

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def start(self) -> "EnvServer":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        for s in list(self.sessions.values()):
            s.episode.close()

    # -- request handling ------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        try:
            status, body = self._route(h, method)
        except HttpError as e:
            status, body = e.status, {"error": str(e)}
        except (RemoteError, SceneError, ValueError) as e:
            status, body = 400, {"error": str(e)}
        except Exception as e:  # a bug must not take the server down
            traceback.print_exc()
            status, body = 500, {"error": f"internal error: {type(e).__name__}: {e}"}
        data = b"" if status == 204 else json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _body(self, h) -> dict:
        try:
            n = int(h.headers.get("Content-Length") or 0)
        except ValueError:
            raise HttpError(400, "bad Content-Length") from None
        if n > MAX_BODY:
            h.rfile.read(min(n, 8 * MAX_BODY))  # drain what we can so the connection stays sane
            raise HttpError(413, f"request body of {n} bytes is over the {MAX_BODY} limit")
        raw = h.rfile.read(n) if n else b""
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise HttpError(400, f"body is not valid JSON: {e}") from None
        if not isinstance(body, dict):
            raise HttpError(400, "body must be a JSON object")
        return body

    def _route(self, h, method: str):
        path = h.path.split("?", 1)[0].rstrip("/") or "/"
        body = self._body(h) if method in ("POST", "PUT") else {}
        if path == "/v1/health":
            if method != "GET":
                raise HttpError(405, "use GET /v1/health")
            return 200, {"ok": True, "sessions": len(self.sessions)}
        if path == "/v1/sessions":
            if method != "POST":
                raise HttpError(405, "use POST /v1/sessions to start an episode")
            return self._create(body)
        m = ROUTE.match(path)
        if not m:
            raise HttpError(404, f"no such route: {method} {path}")
        sid, verb = m.group(1), m.group(2)
        session = self._authorised(h, sid)
        allowed = {None: ("GET", "DELETE"), "reset": ("POST",), "step": ("POST",), "probe": ("POST",), "record": ("GET",)}
        if method not in allowed[verb]:
            raise HttpError(405, f"{method} is not allowed on {path}; use {', '.join(allowed[verb])}")
        with session.lock:
            ep = session.episode
            if verb is None and method == "GET":
                return 200, ep.status()
            if verb is None:
                with self.lock:
                    self.sessions.pop(sid, None)
                ep.close()
                return 204, {}
            if verb == "reset":
                obs, info = ep.reset()
                return 200, {"observation": obs, "info": info}
            if verb == "step":
                if "action" not in body:
                    raise HttpError(400, "missing field 'action'")
                obs, reward, term, trunc, info = ep.step(body["action"])
                return 200, {"observation": obs, "reward": reward, "terminated": term, "truncated": trunc, "info": info}
            if verb == "probe":
                return 200, {"scores": ep.submit_probes(body)}
            return 200, ep.record()

    def _create(self, body: dict):
        spec = EpisodeSpec.from_dict(body)
        with self.lock:
            if len(self.sessions) >= self.max_sessions:
                raise HttpError(429, f"too many sessions ({self.max_sessions}); DELETE finished ones first")
        episode = RemoteEpisode(spec)
        obs, info = episode.reset()
        session = _Session(episode)
        sid = uuid.uuid4().hex
        with self.lock:
            self.sessions[sid] = session
        return 201, {"session_id": sid, "token": session.token, "observation": obs, "info": info}

    def _authorised(self, h, sid: str) -> _Session:
        session = self.sessions.get(sid)
        if session is None:
            raise HttpError(404, f"no session {sid}")
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise HttpError(401, "missing 'Authorization: Bearer <token>' header (the token came with the session)")
        if not hmac.compare_digest(auth[7:].strip(), session.token):
            raise HttpError(403, "this token does not belong to that session")
        return session
