"""`support serve`, `support token` and `support setup`."""

from __future__ import annotations

import time

import typer

from cli.common import fail, load_settings


def serve(
    host: str = typer.Option(None, help="Address to bind (default: HOST setting)."),
    port: int = typer.Option(
        None, min=1, max=65535, help="Port to bind, 1-65535 (default: PORT setting)."
    ),
    workers: int = typer.Option(
        1,
        min=1,
        max=64,
        help="Worker processes answering on the one port, each with its own models "
        "(about one per CPU core; they share the store, memory and help centre).",
    ),
) -> None:
    """Serve the chat API.

    Example: support serve --host 127.0.0.1 --port 8000
    Example: support serve --workers 2
    """
    from observability.logs import configure_logging

    settings = load_settings()
    host = host or settings.HOST
    port = port if port is not None else settings.PORT
    configure_logging(settings.LOG_LEVEL, json_logs=settings.LOG_FORMAT == "json")
    if workers > 1:
        from cli.serve_workers import serve_workers

        serve_workers(settings, host, port, workers)
        return

    import uvicorn

    from app.main import create_app

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.LOG_LEVEL.lower(),
        log_config=None,  # keep the JSON, redacting handler configure_logging installed
    )


def token(
    customer_id: str = typer.Argument(None, help="Customer id, e.g. C0001."),
    ttl: int = typer.Option(None, help="Lifetime in seconds (default: JWT_TTL_SECONDS)."),
    agent: str = typer.Option(None, "--agent", help="Mint a support agent's token instead."),
) -> None:
    """Print a bearer token for a customer, or with --agent NAME for a support agent
    (the agent API and /console; agent tokens cannot use the customer chat).

    Example: curl -H "Authorization: Bearer $(support token C0001)" ...
    Example: support token --agent ann
    """
    from app.auth import mint_token
    from tools.store.backend import SqlStore

    settings = load_settings()
    lifetime = ttl or settings.JWT_TTL_SECONDS
    if agent is not None:
        if customer_id is not None or not agent.strip():
            fail("give either a customer id or --agent NAME (a non-empty name), not both")
        typer.echo(mint_token(agent.strip(), settings.jwt_secret(), lifetime, role="agent"))
        return
    if customer_id is None:
        fail("give a customer id (e.g. C0001) or --agent NAME")
    if not SqlStore.from_url(settings.database_url).customer_exists(customer_id):
        fail(f"no customer {customer_id!r} in the store (see `support store customers`)")
    typer.echo(mint_token(customer_id, settings.jwt_secret(), lifetime))


def setup(
    force: bool = typer.Option(False, help="Retrain the intent model even if one exists."),
) -> None:
    """Create the store with demo data, train the intent model, ingest the help centre.

    Idempotent: existing data is kept, unchanged articles are not re-embedded.
    Example: support setup
    """
    from app.macros import add_starter_macros
    from knowledge.embeddings import get_encoder
    from knowledge.ingest import ingest_paths
    from knowledge.tokens import get_tokenizer
    from knowledge.vectorstore import open_collection
    from nlu.registry import ModelRegistry, train_default, trained_default
    from tools.store.backend import SqlStore
    from tools.store.db import create_schema, make_engine
    from tools.store.seed import seed_demo

    settings = load_settings()
    started = time.perf_counter()
    engine = make_engine(settings.database_url)
    create_schema(engine)
    counts = seed_demo(engine)
    typer.echo(f"store: {counts}")
    starters = add_starter_macros(SqlStore(engine))
    if starters:
        typer.echo(f"desk: {starters} starter saved replies")

    encoder = get_encoder(settings.EMBEDDING_MODEL)
    if force:
        metrics = train_default(
            settings.models_dir, encoder, confidence_floor=settings.ESCALATION_THRESHOLD
        )
        typer.echo(f"intent model: test accuracy {metrics.get('test_accuracy')}")
    elif ModelRegistry(settings.models_dir).serving() is None:
        # Trained once per corpus/code/encoder hash; the tests reuse the same cache.
        metrics = trained_default(
            settings.models_dir,
            encoder,
            settings.nlu_cache_dir,
            confidence_floor=settings.ESCALATION_THRESHOLD,
        )
        typer.echo(f"intent model: test accuracy {metrics.get('test_accuracy')}")
    else:
        typer.echo("intent model: already trained (use --force to retrain)")

    tokenizer = get_tokenizer(str(settings.tiktoken_cache_dir))
    summary = ingest_paths([settings.KB_DIR], open_collection(settings.knowledge), tokenizer)
    typer.echo(f"knowledge: {summary.line()}")
    typer.echo(f"setup done in {time.perf_counter() - started:.1f} s; data in {settings.data_dir}")
