"""Fixtures shared by every test: settings in a temp DATA_DIR, the real encoder, Postgres,
and a fully wired service (real store, real NLU, real knowledge base).

The expensive parts (intent model, ingested help centre, seeded template store) are built
once per test run; every test gets its own copy of the store and its own conversation memory.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.auth import mint_token
from app.main import create_app
from app.runtime import build_services
from app.settings import Settings
from graph.context import Services
from tools.store.backend import SqlStore

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

POSTGRES_TEST_URL = os.environ.get(
    "POSTGRES_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings whose DATA_DIR is a fresh temp folder, no LLM, no env leakage."""
    s = Settings(
        _env_file=None,
        DATA_DIR=tmp_path / "data",
        OPENAI_BASE_URL="",
        LLM_MODEL="",
        JWT_SECRET="test-secret-" + "x" * 32,
        DATABASE_URL="",
        CHECKPOINT_URL="",
        CHROMA_URL="",
    )
    s.ensure_dirs()
    return s


@pytest.fixture(scope="session")
def encoder():
    """The real packaged MiniLM encoder, loaded once per test run."""
    from knowledge.embeddings import get_encoder

    return get_encoder("")


def _postgres_reachable(url: str) -> str | None:
    """None when a Postgres server answers at url, else the reason it doesn't."""
    try:
        import psycopg

        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo, connect_timeout=3) as conn:
            conn.execute("select 1")
        return None
    except Exception as exc:  # any failure means "not reachable here"
        return f"PostgreSQL not reachable at {url}: {exc.__class__.__name__}: {exc}".strip()


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """SQLAlchemy URL of the test Postgres; skips the test with a reason when unreachable."""
    reason = _postgres_reachable(POSTGRES_TEST_URL)
    if reason:
        pytest.skip(reason)
    return POSTGRES_TEST_URL


@pytest.fixture
def postgres_url(postgres_server_url) -> Iterator[str]:
    """A fresh, empty schema on the test Postgres, dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    conninfo = postgres_server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'create schema "{schema}"')
    sep = "&" if "?" in postgres_server_url else "?"
    try:
        yield f"{postgres_server_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'drop schema "{schema}" cascade')


@pytest.fixture(scope="session")
def intent_cache_dir():
    """The trained-intent-model cache `support setup` fills (NLU_CACHE_DIR; None when off):
    tests that only need the model trained on the committed corpus copy it from there."""
    return Settings(_env_file=None).nlu_cache_dir


# -- the wired service ----------------------------------------------------------


@pytest.fixture(scope="session")
def built(tmp_path_factory, encoder, intent_cache_dir) -> tuple[Settings, Services]:
    """Settings and services over a DATA_DIR prepared like `support setup` does."""
    from knowledge.ingest import ingest_paths
    from knowledge.tokens import get_tokenizer
    from knowledge.vectorstore import open_collection
    from nlu.registry import trained_default
    from tools.store.db import create_schema, make_engine
    from tools.store.seed import seed_demo

    root = tmp_path_factory.mktemp("built")
    settings = Settings(_env_file=None, DATA_DIR=root, JWT_SECRET="s" * 40, OPENAI_BASE_URL="")
    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    create_schema(engine)
    seed_demo(engine)
    engine.dispose()
    trained_default(
        settings.models_dir,
        encoder,
        intent_cache_dir,
        confidence_floor=settings.ESCALATION_THRESHOLD,
    )
    ingest_paths(
        [settings.KB_DIR],
        open_collection(settings.knowledge),
        get_tokenizer(str(settings.tiktoken_cache_dir)),
    )
    return settings, build_services(settings, encoder=encoder)


@pytest.fixture
def app_settings(built, tmp_path) -> Settings:
    """Per-test settings: the built models and KB, a private copy of the store."""
    base, _ = built
    store_file = tmp_path / "store.sqlite"
    shutil.copy(base.data_dir / "store.sqlite", store_file)
    return base.model_copy(
        update={
            "DATABASE_URL": f"sqlite:///{store_file}",
            "CHECKPOINT_URL": str(tmp_path / "checkpoints.sqlite"),
        }
    )


@pytest.fixture
def services(built, app_settings) -> Services:
    _, shared = built
    return dataclasses.replace(shared, store=SqlStore.from_url(app_settings.database_url))


@pytest.fixture
def client(app_settings, services) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings, services=services)) as c:
        yield c


@pytest.fixture
def token_for(app_settings):
    def _token(customer_id: str, ttl: int = 3600) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {mint_token(customer_id, app_settings.jwt_secret(), ttl)}"
        }

    return _token


@pytest.fixture
def agent_headers(app_settings):
    """`agent_headers("ann")`: the Authorization header of a support agent's token."""

    def _headers(name: str = "ann") -> dict[str, str]:
        token = mint_token(name, app_settings.jwt_secret(), 3600, role="agent")
        return {"Authorization": f"Bearer {token}"}

    return _headers


@pytest.fixture
def low_limit(app_settings, services):
    """(client, services) where refunds above $100 need an agent's approval (C0001's
    recent delivery is $168.00)."""
    policy = dataclasses.replace(services.policy, auto_approve_limit_cents=10000)
    svc = dataclasses.replace(services, policy=policy)
    with TestClient(create_app(app_settings, services=svc)) as client:
        yield client, svc
