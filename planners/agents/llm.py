"""Language-model explorers through any OpenAI-compatible chat completion endpoint.

Works with vLLM (`vllm serve MODEL` then base_url=http://HOST:8000/v1), other local
servers (llama.cpp, Ollama's /v1, LM Studio) and hosted APIs. The API key is read from an
environment variable (OPENAI_API_KEY by default), never from configs.

The agent keeps one conversation: system prompt, then one user message per observation
and one assistant message per turn. Probes and questions are side requests on top of the
conversation and are not added to it. Replies are parsed tolerantly by the env and the
probe parser: a malformed reply is an invalid action or an empty map, never a crash.
Endpoint failures are retried with exponential backoff; after the last retry the agent
raises LLMError, which ends the episode as an error record (the run goes on).

Example (against a local vLLM server):
    >>> agent = LLMAgent(LLMConfig(base_url="http://localhost:8000/v1", model="Qwen/Qwen2.5-7B-Instruct"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field

from planners.agents import prompts, prompts_tos
from planners.agents.base import Agent
from scenes.changes import FALSE_BELIEF_CHANGES
from sim.actions import DEFAULT_MAX_STEPS

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class LLMError(RuntimeError):
    """The endpoint could not give an answer after all retries (or refused the request)."""


@dataclass
class LLMConfig:
    base_url: str = "http://localhost:8000/v1"
    model: str = "Qwen/Qwen2.5-VL-7B-Instruct"
    api_key_env: str = "OPENAI_API_KEY"
    mode: str = "text"  # "text" or "vision" (images in the user messages)
    temperature: float = 0.0
    max_tokens: int = 1024
    timeout_s: float = 60.0
    max_retries: int = 3
    backoff_s: float = 1.0
    price_prompt_per_1k: float = 0.0  # USD, for cost accounting
    price_completion_per_1k: float = 0.0
    fov_deg: float = 90.0
    extra_body: dict = field(default_factory=dict)  # passed through (e.g. vLLM's guided decoding)

    @classmethod
    def from_dict(cls, d: dict | None) -> "LLMConfig":
        d = dict(d or {})
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown llm option(s): {', '.join(sorted(unknown))}")
        return cls(**d)


@dataclass
class Usage:
    calls: int = 0
    retries: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0


class ChatClient:
    """Minimal OpenAI-compatible /chat/completions client (stdlib only)."""

    def __init__(self, cfg: LLMConfig) -> None:
        self.cfg = cfg
        self.usage = Usage()

    def complete(self, messages: list[dict]) -> str:
        cfg = self.cfg
        body = {"model": cfg.model, "messages": messages, "temperature": cfg.temperature, "max_tokens": cfg.max_tokens,
                **cfg.extra_body}
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(cfg.api_key_env, "")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = cfg.base_url.rstrip("/") + "/chat/completions"
        last = ""
        for attempt in range(cfg.max_retries + 1):
            if attempt:
                self.usage.retries += 1
                time.sleep(cfg.backoff_s * 2 ** (attempt - 1))
            t0 = time.perf_counter()
            try:
                req = urllib.request.Request(url, data=data, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=cfg.timeout_s) as resp:
                    payload = json.loads(resp.read().decode("utf-8", "replace"))
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code} from {url}: {e.read(300).decode('utf-8', 'replace')}"
                if e.code not in RETRY_STATUS:
                    break
                continue
            except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as e:
                last = f"{type(e).__name__} talking to {url}: {getattr(e, 'reason', e)}"
                continue
            except json.JSONDecodeError:
                last = f"{url} did not return JSON"
                continue
            finally:
                self.usage.latency_s += time.perf_counter() - t0
            self.usage.calls += 1
            u = payload.get("usage") or {}
            self.usage.prompt_tokens += int(u.get("prompt_tokens") or 0)
            self.usage.completion_tokens += int(u.get("completion_tokens") or 0)
            return _content(payload)
        self.usage.failures += 1
        raise LLMError(f"chat endpoint failed after {cfg.max_retries + 1} attempts: {last}")


def _content(payload: dict) -> str:
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return ""
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def extract_turn(reply: str) -> str:
    """The turn in a reply: from the last 'Actions:' on (models often think first)."""
    i = reply.rfind("Actions:")
    return reply[i:] if i >= 0 else reply


def extract_option(reply: str, options) -> str | None:
    """The chosen option: after the last 'Answer:', else the last option mentioned."""
    opts = [str(o).lower() for o in options]
    text = reply.lower()
    m = re.findall(r"answer\s*:\s*([^\n]+)", text)
    if m:
        cand = m[-1].strip().strip(".'\"` ")
        if cand in opts:
            return cand
        text = m[-1]
    hits = [(m.start(), o) for o in opts for m in re.finditer(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text)]
    return max(hits)[1] if hits else None


class LLMAgent(Agent):
    name = "llm"

    @classmethod
    def from_spec(cls, arg: str = "", options: dict | None = None) -> "LLMAgent":
        """The endpoint, model and prices come from `options` (see LLMConfig)."""
        cls.parse_arg(arg)
        return cls(LLMConfig.from_dict(options))

    def __init__(self, cfg: LLMConfig | None = None) -> None:
        self.cfg = cfg or LLMConfig()
        if self.cfg.mode not in ("text", "vision"):
            raise ValueError(f"llm mode must be 'text' or 'vision', got {self.cfg.mode!r}")
        self.client = ChatClient(self.cfg)

    def reset(self, seed: int = 0, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        self.budget = max_steps
        self.prompts = prompts  # planners.agents.prompts_tos once the env says it words text as ToS
        self.messages = [{"role": "system", "content": prompts.SYSTEM.format(fov=int(self.cfg.fov_deg), budget=max_steps)}]
        self.client.usage = Usage()
        self.last_step = 0

    def restart(self) -> None:
        if self.prompts is prompts_tos:
            text = prompts_tos.RESTART.format(n_changes=FALSE_BELIEF_CHANGES, max_steps=self.budget)
            self.messages.append({"role": "user", "content": text})
            return
        self.messages.append({"role": "user", "content": "You have been taken back to your start position and face north "
                              "again. Things may have changed since you were here. Explore again."})

    def observe(self, observation: str, info: dict) -> None:
        step = info.get("step", 0)
        if step == 0 and info.get("text_profile") == "tos" and self.prompts is not prompts_tos:
            # the env words its text as Theory of Space does: prompt in ToS's words too, with its room layout
            self.prompts = prompts_tos
            self.messages[0] = {"role": "system", "content": prompts_tos.system(
                fov=int(self.cfg.fov_deg), budget=self.budget, room_info=observation)}
            observation = ""
        if step == 0:
            text = self.prompts.START if not observation else observation + "\n" + self.prompts.START
        elif self.prompts is prompts_tos:
            text = prompts_tos.TURN.format(obs=observation, left=info.get("steps_left", 0))
        else:
            text = prompts.TURN.format(step=step, budget=self.budget, left=info.get("steps_left", 0), obs=observation)
        image = info.get("image")
        if self.cfg.mode == "vision" and image:
            url = f"data:{info.get('image_mime', 'image/png')};base64,{image}"
            content = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}]
        else:
            content = text
        self.messages.append({"role": "user", "content": content})
        self.last_step = step

    def act(self, observation: str, info: dict) -> str:
        reply = self.client.complete(self.messages)
        self.messages.append({"role": "assistant", "content": reply})
        return extract_turn(reply)

    def probe(self, kind: str = "global"):
        prompt = self.prompts.PROBES.get(kind)
        if prompt is None:
            return {}
        return self.client.complete(self.messages + [{"role": "user", "content": prompt}])

    def answer(self, question) -> str | None:
        if not question.options:  # a ToS open-answer question (perception.tos_questions): the reply is scored as is
            content = f"## Evaluation Question\n{question.text}\n\n{prompts_tos.FOOTER_ANSWER}"
            return self.client.complete(self.messages + [{"role": "user", "content": content}])
        if self.prompts is prompts_tos:
            reply = self.client.complete(self.messages + [{"role": "user", "content": prompts_tos.question(question.text, question.options)}])
            return prompts_tos.choice_from_reply(reply, question.options)
        prompt = prompts.QUESTION.format(text=question.text, options=", ".join(question.options))
        reply = self.client.complete(self.messages + [{"role": "user", "content": prompt}])
        return extract_option(reply, question.options)

    def stats(self) -> dict:
        u = self.client.usage
        cost = (u.prompt_tokens * self.cfg.price_prompt_per_1k + u.completion_tokens * self.cfg.price_completion_per_1k) / 1000
        return {**asdict(u), "latency_s": round(u.latency_s, 3), "cost_usd": round(cost, 6), "model": self.cfg.model}
