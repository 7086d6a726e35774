"""Fakes at the model boundary: a scripted OpenAI-compatible chat endpoint, a fixed NLU."""

from __future__ import annotations

import json
from collections import deque

import httpx

from nlu.parser import Parse


class ScriptedChatEndpoint:
    """Answers /chat/completions with queued replies, records every request.

    A call with nothing queued fails loudly; `assert_done()` fails if replies are left.
    Pass `transport` to `httpx.AsyncClient(transport=...)` under an `openai.AsyncOpenAI`.
    """

    def __init__(self, *replies: str) -> None:
        self.replies: deque[str | Exception] = deque(replies)
        self.requests: list[dict] = []
        self.transport = httpx.MockTransport(self._handle)

    def queue(self, reply: str | Exception) -> None:
        self.replies.append(reply)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/chat/completions"), request.url.path
        body = json.loads(request.content)
        self.requests.append(body)
        if not self.replies:
            raise AssertionError(f"unexpected LLM call #{len(self.requests)}: {body['messages']}")
        reply = self.replies.popleft()
        if isinstance(reply, Exception):
            return httpx.Response(503, json={"error": {"message": str(reply)}})
        if body.get("stream"):
            return httpx.Response(
                200,
                headers={"content-type": "text/event-stream"},
                content=self._sse(reply, body["model"]),
            )
        return httpx.Response(200, json=self._completion(reply, body["model"]))

    @staticmethod
    def _sse(reply: str, model: str) -> bytes:
        words = reply.split(" ")
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        out = []
        for piece in pieces:
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            out.append(f"data: {json.dumps(chunk)}\n\n")
        out.append("data: [DONE]\n\n")
        return "".join(out).encode()

    @staticmethod
    def _completion(reply: str, model: str) -> dict:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    def assert_done(self) -> None:
        assert not self.replies, f"{len(self.replies)} scripted LLM replies were never used"


class SplitNLU:
    """The NLU at the model boundary: one fixed probability split for every message."""

    def __init__(self, probabilities: dict[str, float], *, off_topic: bool = False) -> None:
        self.probabilities = probabilities
        self.off_topic = off_topic

    def parse(self, text, *, today=None, session_id=None) -> Parse:
        intent = max(self.probabilities, key=self.probabilities.__getitem__)
        return Parse(
            text=text,
            intent=intent,
            category="PRODUCT",
            confidence=self.probabilities[intent],
            model_version="test",
            probabilities=self.probabilities,
            off_topic=self.off_topic,
        )

    def parse_many(self, texts, *, today=None, session_id=None) -> list[Parse]:
        return [self.parse(text) for text in texts]
