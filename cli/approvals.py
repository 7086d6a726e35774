"""`support approvals ...`: list refunds waiting for a human, approve or decline them.

Deciding writes the decision (and the refund) to the store and resumes the customer's
paused conversation in the checkpoint store, exactly as the agent API does.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import fail, load_settings, print_json

if TYPE_CHECKING:  # imported inside the commands: `support --help` stays quick
    from tools.schemas import ApprovalView

app = typer.Typer(
    help="Refunds above the policy's auto-approve limit: list, approve, decline.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
AgentOption = Annotated[
    str, typer.Option("--agent", help="Who decides (kept in the audit log).", envvar="USER")
]
NoteOption = Annotated[str, typer.Option("--note", help="Why; shown to the customer on decline.")]


def _line(a: ApprovalView) -> str:
    from tools.schemas import money

    decided = f" by {a.decided_by}" if a.decided_by else ""
    return (
        f"{a.id}  {a.status:<8}{decided}  {money(a.amount_cents):>10}  order {a.order_id}  "
        f"customer {a.customer_id}  to {a.destination}  ticket {a.escalation_id}"
    )


@app.command("list")
def list_approvals(
    status: Annotated[str, typer.Option(help="pending, approved, declined or all.")] = "pending",
    as_json: JsonFlag = False,
) -> None:
    """List approvals (waiting ones by default), oldest first.

    Example: support approvals list --status all --json
    """
    from tools.errors import ToolError
    from tools.store.backend import SqlStore

    if status not in ("pending", "approved", "declined", "all"):
        fail(f"unknown status {status!r}; use pending, approved, declined or all")
    try:
        store = SqlStore.from_url(load_settings().database_url)
        found = store.list_approvals(None if status == "all" else status)
    except ToolError as exc:
        fail(str(exc))
    if as_json:
        print_json([a.model_dump(mode="json") for a in found])
        return
    if not found:
        typer.echo(f"no {status if status != 'all' else ''} approvals".replace("  ", " "))
    for a in found:
        typer.echo(_line(a))


async def _decide(approval_id: str, approve: bool, agent: str, note: str) -> ApprovalView:
    """Open the store and the conversation memory, decide, resume the conversation."""
    from app.approvals import ApprovalDesk
    from app.chat import ChatService
    from app.limits import abuse_limits
    from app.runtime import thresholds_from
    from graph.builder import build_graph
    from graph.checkpoint import open_checkpointer
    from graph.context import Services
    from tools.policy import load_policy
    from tools.store.backend import SqlStore

    settings = load_settings()
    store = SqlStore.from_url(settings.database_url)
    # Resuming a paused conversation runs only the approval and respond nodes, which use
    # the store: the language models are not loaded for a decision.
    services = Services(
        store=store,
        nlu=None,  # type: ignore[arg-type]
        retriever=None,  # type: ignore[arg-type]
        composer=None,  # type: ignore[arg-type]
        policy=load_policy(settings.POLICY_FILE),
        thresholds=thresholds_from(settings),
        limits=abuse_limits(settings),
    )
    async with open_checkpointer(settings.checkpoint_url) as checkpointer:
        chat = ChatService(build_graph(checkpointer), services, settings.MAX_MESSAGE_CHARS)
        return await ApprovalDesk(chat, services).decide(
            approval_id, approve=approve, agent=agent, note=note
        )


def _run(approval_id: str, approve: bool, agent: str, note: str, as_json: bool) -> None:
    from tools.errors import ToolError

    try:
        decided = asyncio.run(_decide(approval_id, approve, agent, note))
    except (ToolError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        print_json(decided.model_dump(mode="json"))
        return
    typer.echo(_line(decided))
    if decided.refund_id:
        typer.echo(f"refund {decided.refund_id} written; the customer's chat shows the outcome")


@app.command()
def approve(
    approval_id: Annotated[str, typer.Argument(help="Approval id, e.g. A1B2C3D4E5F6.")],
    agent: AgentOption = "agent",
    note: NoteOption = "",
    as_json: JsonFlag = False,
) -> None:
    """Approve a waiting refund: the refund is written (once) and the customer is told.

    Example: support approvals approve A1B2C3D4E5F6 --agent ann --note "checked photos"
    """
    _run(approval_id, True, agent, note, as_json)


@app.command()
def decline(
    approval_id: Annotated[str, typer.Argument(help="Approval id, e.g. A1B2C3D4E5F6.")],
    agent: AgentOption = "agent",
    note: NoteOption = "",
    as_json: JsonFlag = False,
) -> None:
    """Decline a waiting refund: nothing is refunded and the customer is told why.

    Example: support approvals decline A1B2C3D4E5F6 --agent ann --note "item was used"
    """
    _run(approval_id, False, agent, note, as_json)
