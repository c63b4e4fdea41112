"""A local stand-in for an OpenAI-compatible chat endpoint that answers from a script."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from planners.agents.sweeper import Scout


class Recorder(Scout):
    """A scout that writes down, in call order, what a language model would have had to say
    (`script`): each turn worded by `say_turn`, each probed map by `say_map`."""

    @staticmethod
    def say_turn(turn: str) -> str:
        return f"I will keep sweeping.\n{turn}"

    @staticmethod
    def say_map(map_json: str) -> str:
        return "Here is my map:\n```json\n" + map_json + "\n```"

    def reset(self, seed=0, max_steps=20):
        super().reset(seed, max_steps)
        self.script = []

    def act(self, observation, info):
        turn = super().act(observation, info)
        self.script.append(self.say_turn(turn))
        return turn

    def probe(self, kind="global"):
        out = super().probe(kind)
        self.script.append(self.say_map(json.dumps(out)))
        return out


class ScriptedChat:
    """Replies in order. An item is a reply string, or a dict:
    {"sleep": s, "reply": text} (answer late) or {"status": code} (fail with an HTTP error)."""

    def __init__(self, script, default=None):
        self.script = list(script)
        self.default = default
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.requests.append(body)
                    item = outer.script.pop(0) if outer.script else outer.default
                if isinstance(item, dict) and "status" in item:
                    self.send_response(item["status"])
                    self.end_headers()
                    self.wfile.write(b'{"error": "scripted failure"}')
                    return
                if isinstance(item, dict):
                    time.sleep(item.get("sleep", 0))
                    item = item["reply"]
                out = json.dumps({"choices": [{"message": {"role": "assistant", "content": item or ""}}],
                                  "usage": {"prompt_tokens": 100, "completion_tokens": 10}}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout) and will retry

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
