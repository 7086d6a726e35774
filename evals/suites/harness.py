"""The real turn graph over a fresh seeded store: what the conversation-driven suites run on.

`EvalEnv` loads the serving models once (NLU, encoder, the configured composer), seeds a
throw-away demo store in a work folder and picks the help centre the graph answers from:
by default the project's demo articles ingested into a throw-away collection there (so the
gates measure the bot, not today's content), or the live index under DATA_DIR. Every
`conversation()` gets its own copy of that store and its own session, so one script's
refund never leaks into the next one's end state.

Two kinds of store: "demo" (the seeded demo shop, under the configured policy) and "tau"
(a τ-bench retail dump imported into an empty store, under tools/policy/tau_retail.toml).
The τ template is built on first use from `tau_dump`: the project's own
evals/data/tau_store.json unless the run names another dump.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from evals.help_centre import DEMO_KB, LIVE, HelpCentre, KbChoice

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from app.chat import ChatService
    from app.settings import Settings
    from evals.suites.store_facts import StoreFacts
    from graph.context import Services
    from knowledge.retrieval import Passage
    from tools.policy import SupportPolicy
    from tools.store.backend import SqlStore

StoreKind = Literal["demo", "tau"]
STORE_KINDS: tuple[StoreKind, ...] = ("demo", "tau")
ROOT = Path(__file__).resolve().parent.parent.parent
TAU_DUMP = ROOT / "evals" / "data" / "tau_store.json"
"""The project's own small τ-format dump: the "tau" store unless a run names another."""
TAU_POLICY = ROOT / "tools" / "policy" / "tau_retail.toml"


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
    """Serving models plus a freshly seeded demo store (and, on demand, a τ store) in
    `workdir`."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        workdir: Path,
        *,
        tau_dump: Path | None = None,
        help_centre: HelpCentre | None = None,
    ) -> None:
        from langgraph.checkpoint.memory import InMemorySaver

        from graph.builder import build_graph

        self.settings = settings
        self.help_centre = help_centre or _live(settings, services)
        """The help centre every conversation answers from (services.retriever is its)."""
        self.services = dataclasses.replace(services, retriever=self.help_centre.retriever)
        self.workdir = workdir
        self.template = workdir / "seeded-store.sqlite"
        self.tau_dump = Path(tau_dump) if tau_dump else TAU_DUMP
        self._templates: dict[str, Path] = {"demo": self.template}
        self._policies: dict[str, SupportPolicy] = {}
        self._facts: dict[str, StoreFacts] = {}
        self._graph = build_graph(InMemorySaver())
        self._copies = 0

    @property
    def tau_dump_is_outside(self) -> bool:
        """Whether the τ store comes from a dump the scripts were not written against."""
        return self.tau_dump.resolve() != TAU_DUMP.resolve()

    @classmethod
    def build(
        cls,
        settings: Settings,
        workdir: Path,
        *,
        services: Services | None = None,
        tau_dump: Path | None = None,
        kb: KbChoice = DEMO_KB,
    ) -> EvalEnv:
        """Seed the store in workdir and load the serving models (or reuse `services`);
        `tau_dump` is the τ-format dump the "tau" store imports (default: the project's);
        `kb` the articles to pin in a throw-away collection in workdir, or LIVE: the
        services' own help centre."""
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
        if kb == LIVE:
            if services.retriever.count() == 0:
                raise EnvironmentNotReady(
                    f"the help-centre index in {settings.data_dir} is empty: run `support setup`"
                )
            help_centre = _live(settings, services)
        else:
            from evals.help_centre import pin

            help_centre = pin(kb, workdir / "help-centre", settings.EMBEDDING_MODEL)
        return cls(settings, services, workdir, tau_dump=tau_dump, help_centre=help_centre)

    def kb_collection(self) -> Collection:
        """The Chroma collection of the run's help centre (the pinned one, or the live one
        of the settings)."""
        if self.help_centre.collection is not None:
            return self.help_centre.collection
        from knowledge.vectorstore import open_collection

        return open_collection(self.settings.knowledge)

    def template_of(self, kind: StoreKind) -> Path:
        """The SQLite file every fresh store of `kind` copies; the τ one is built on first use.

        Raises ValueError when the τ dump cannot be read or imported."""
        if kind not in self._templates:
            if kind != "tau":
                raise ValueError(f"unknown store {kind!r}; stores are {', '.join(STORE_KINDS)}")
            self._templates[kind] = self._import_tau()
        return self._templates[kind]

    def _import_tau(self) -> Path:
        from sqlalchemy import create_engine

        from tools.store.tau_import import import_tau, read_dump

        data = read_dump(self.tau_dump)  # TauFormatError is a ValueError
        path = self.workdir / "tau-store.sqlite"
        path.unlink(missing_ok=True)
        engine = create_engine(f"sqlite:///{path}")
        try:
            report = import_tau(engine, data)
        finally:
            engine.dispose()
        if not report.added.get("orders"):
            raise ValueError(f"{self.tau_dump}: the τ dump holds no orders to import")
        return path

    def facts_of(self, kind: StoreKind) -> StoreFacts:
        """A snapshot of the `kind` store's orders, customers and catalogue (read once:
        every fresh store is a copy of the same template)."""
        from evals.suites.store_facts import StoreFacts

        if kind not in self._facts:
            self._facts[kind] = StoreFacts.of_file(self.template_of(kind))
        return self._facts[kind]

    def policy_of(self, kind: StoreKind) -> SupportPolicy:
        """The written policy a store runs under: the configured one for the demo shop,
        the τ-bench retail policy for an imported τ store."""
        if kind == "demo":
            return self.services.policy
        if kind not in self._policies:
            from tools.policy import load_policy

            self._policies[kind] = load_policy(TAU_POLICY)
        return self._policies[kind]

    def fresh_store(self, kind: StoreKind = "demo") -> SqlStore:
        """A private copy of the seeded demo store, or of the imported τ store."""
        from tools.store.backend import SqlStore

        template = self.template_of(kind)
        self._copies += 1
        path = self.workdir / f"store-{self._copies}.sqlite"
        shutil.copy(template, path)
        return SqlStore.from_url(f"sqlite:///{path}")

    @asynccontextmanager
    async def conversation(
        self,
        customer_id: str | None,
        *,
        store: SqlStore | None = None,
        wrap: Callable[[Services], Services] | None = None,
        kind: StoreKind = "demo",
    ) -> AsyncIterator[Conversation]:
        """A new session for `customer_id` (None: anonymous) on `store` or a fresh copy of
        the `kind` store, under that store's policy."""
        from app.chat import ChatService

        own = store is None
        store = store or self.fresh_store(kind)
        services = dataclasses.replace(self.services, store=store, policy=self.policy_of(kind))
        if wrap is not None:
            services = wrap(services)
        chat = ChatService(self._graph, services, self.settings.MAX_MESSAGE_CHARS)
        try:
            yield Conversation(chat, store, customer_id)
        finally:
            if own:
                store.engine.dispose()


def _live(settings: Settings, services: Services) -> HelpCentre:
    from evals.help_centre import live
    from knowledge.vectorstore import location

    return live(services.retriever, location(settings.knowledge))


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
