"""The real turn graph over a fresh seeded store: what the conversation-driven suites run on.

`EvalEnv` loads the serving models once (NLU, encoder, help-centre index under DATA_DIR,
the configured composer) and seeds a throw-away demo store in a work folder. Every
`conversation()` gets its own copy of that store and its own session, so one script's
refund never leaks into the next one's end state.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.chat import ChatService
    from app.settings import Settings
    from graph.context import Services
    from knowledge.retrieval import Passage
    from tools.store.backend import SqlStore


class EnvironmentNotReady(RuntimeError):
    """The models or the help-centre index the evals need are missing; says what to run."""


class RecordingRetriever:
    """The real retriever, noting the passages each search returned (the RAG suite's contexts)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.searches: list[list[Passage]] = []

    def search(self, *args: Any, **kwargs: Any) -> list[Passage]:
        found = self._inner.search(*args, **kwargs)
        self.searches.append(list(found))
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class Conversation:
    """One customer's session over a private copy of the seeded store."""

    def __init__(self, chat: ChatService, store: SqlStore, customer_id: str | None) -> None:
        self.chat = chat
        self.store = store
        self.customer_id = customer_id
        self.session_id: str | None = None

    async def say(self, message: str) -> dict[str, Any]:
        """The bot's public response (ChatResponse fields) to one customer message."""
        if self.session_id is None:
            self.session_id = await self.chat.open_session(None, self.customer_id)
        response = await self.chat.run_turn(self.session_id, self.customer_id, message)
        return response.model_dump() if hasattr(response, "model_dump") else dict(response)


class EvalEnv:
    """Serving models plus a freshly seeded demo store in `workdir`."""

    def __init__(self, settings: Settings, services: Services, workdir: Path) -> None:
        from langgraph.checkpoint.memory import InMemorySaver

        from graph.builder import build_graph

        self.settings = settings
        self.services = services
        self.workdir = workdir
        self.template = workdir / "seeded-store.sqlite"
        self._graph = build_graph(InMemorySaver())
        self._copies = 0

    @classmethod
    def build(
        cls, settings: Settings, workdir: Path, *, services: Services | None = None
    ) -> EvalEnv:
        """Seed the store in workdir and load the serving models (or reuse `services`)."""
        from sqlalchemy import create_engine

        from tools.store.db import create_schema
        from tools.store.seed import seed_demo

        workdir.mkdir(parents=True, exist_ok=True)
        template = workdir / "seeded-store.sqlite"
        engine = create_engine(f"sqlite:///{template}")
        try:
            create_schema(engine)
            seed_demo(engine)
        finally:
            engine.dispose()
        if services is None:
            from app.runtime import build_services

            try:
                services = build_services(
                    settings.model_copy(update={"DATABASE_URL": f"sqlite:///{template}"})
                )
            except FileNotFoundError as exc:
                raise EnvironmentNotReady(f"{exc}; `support setup` prepares everything") from exc
            except (KeyError, ValueError) as exc:  # a model saved by other code than this
                raise EnvironmentNotReady(
                    f"cannot load the serving models in {settings.data_dir} ({exc!r}); "
                    "retrain with `support setup --force`"
                ) from exc
        if services.retriever.count() == 0:
            raise EnvironmentNotReady(
                f"the help-centre index in {settings.data_dir} is empty: run `support setup`"
            )
        return cls(settings, services, workdir)

    def fresh_store(self) -> SqlStore:
        """A private copy of the seeded store."""
        from tools.store.backend import SqlStore

        self._copies += 1
        path = self.workdir / f"store-{self._copies}.sqlite"
        shutil.copy(self.template, path)
        return SqlStore.from_url(f"sqlite:///{path}")

    @asynccontextmanager
    async def conversation(
        self,
        customer_id: str | None,
        *,
        store: SqlStore | None = None,
        wrap: Callable[[Services], Services] | None = None,
    ) -> AsyncIterator[Conversation]:
        """A new session for `customer_id` (None: anonymous) on `store` or a fresh copy."""
        from app.chat import ChatService

        own = store is None
        store = store or self.fresh_store()
        services = dataclasses.replace(self.services, store=store)
        if wrap is not None:
            services = wrap(services)
        chat = ChatService(self._graph, services, self.settings.MAX_MESSAGE_CHARS)
        try:
            yield Conversation(chat, store, customer_id)
        finally:
            if own:
                store.engine.dispose()


# -- references to seeded records in scripted text ------------------------------------

_REF = re.compile(r"\{(order|tracking):(C\d{4}):([a-z]+)(?::(newest|oldest))?\}")


def resolve_refs(text: str, store: SqlStore) -> str:
    """Replace `{order:C0001:delivered:newest}`-style references with seeded values.

    `{order:CUSTOMER:STATUS}` is the id of the customer's first order in that status (in
    the store's listing order); `:newest` / `:oldest` pick the most / least recently
    delivered one (C0001's are 3 and 45 days old: inside and outside a 30-day refund
    window); `{tracking:...}` is that order's tracking number. An unknown one is an error.
    """

    def one(match: re.Match[str]) -> str:
        kind, customer, status, age = match.groups()
        order_id = find_order(store, customer, status, age)
        if kind == "order":
            return order_id
        order = store.get_order(order_id)
        if order is None or not order.tracking_number:
            raise ValueError(f"{match[0]}: order {order_id} has no tracking number")
        return order.tracking_number

    return _REF.sub(one, text)


def find_order(store: SqlStore, customer: str, status: str, age: str | None = None) -> str:
    """Id of one of the customer's orders in `status`; `age` newest/oldest by delivery."""
    found = [s.id for s in store.list_orders(customer) if s.status == status]
    if not found:
        raise ValueError(f"the seeded store has no {status} order of {customer}")
    if age is None:
        return found[0]
    floor = datetime.min.replace(tzinfo=UTC)

    def delivered(order_id: str) -> datetime:
        order = store.get_order(order_id)
        when = order.delivered_at if order else None
        if when is None:
            return floor
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    ordered = sorted(found, key=delivered)
    return ordered[-1] if age == "newest" else ordered[0]
