"""The `support` command: one typer app whose sub-commands live in sibling modules."""

from __future__ import annotations

import typer

from cli import (
    approvals,
    db,
    evals,
    evals_entities_tau,
    evals_intent_tau,
    evals_off_topic,
    kb,
    nlu,
    ops,
    service,
    store,
    webhooks,
)

cli = typer.Typer(
    name="support",
    help="AI customer-support agent: serve the API, ingest knowledge, inspect the store.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
cli.command("serve")(service.serve)
cli.command("token")(service.token)
cli.command("setup")(service.setup)
cli.command("ingest")(kb.ingest)
cli.add_typer(kb.app, name="kb")
cli.add_typer(nlu.app, name="nlu")
cli.add_typer(store.app, name="store")
cli.add_typer(db.app, name="db")
cli.add_typer(evals.app, name="evals")
evals.app.command("entities-tau")(evals_entities_tau.entities_tau)
evals.app.command("intent-tau")(evals_intent_tau.intent_tau)
evals.app.command("off-topic")(evals_off_topic.off_topic)
evals.app.command("off-topic-chat")(evals_off_topic.off_topic_chat)
cli.add_typer(approvals.app, name="approvals")
cli.command("kpi")(ops.kpi)
cli.add_typer(ops.drift_app, name="drift", help="Drift of customer language and intent F1.")
cli.add_typer(
    ops.ops_app, name="ops", help="Operations: the Prometheus config, webhook dead letters."
)
ops.ops_app.add_typer(webhooks.app, name="webhooks")


def main() -> None:
    cli()
