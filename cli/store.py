"""`support store ...`: seed the demo shop and look at customers and orders."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import fail, load_settings, print_json
from tools.errors import ToolError

if TYPE_CHECKING:  # the store is imported inside the commands: `support --help` stays quick
    from tools.store.backend import SqlStore

app = typer.Typer(
    help="Inspect the shop's store (SQLite by default, DATABASE_URL for Postgres).",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _open_store() -> SqlStore:
    from tools.store.backend import SqlStore

    try:
        return SqlStore.from_url(load_settings().database_url)
    except ToolError as exc:
        fail(f"cannot open the store: {exc}")


@app.command()
def seed() -> None:
    """Create the tables and write the demo shop (once; a seeded store is left as is).

    Example: support store seed
    """
    from tools.store.seed import seed_demo

    store = _open_store()
    try:
        counts = seed_demo(store.engine)
    except Exception as exc:  # any failure: one line, non-zero exit
        fail(f"seeding failed: {exc.__class__.__name__}: {exc}")
    typer.echo(", ".join(f"{n} {table}" for table, n in counts.items()))


@app.command()
def customers(
    limit: Annotated[int, typer.Option(min=1, help="How many customers to show.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """List customers with their orders' ids and statuses.

    Example: support store customers --limit 5 --json
    """
    try:
        found = _open_store().list_customers(limit)
    except ToolError as exc:
        fail(str(exc))
    if as_json:
        print_json(
            [
                {
                    "id": c.id,
                    "email": c.email,
                    "name": c.name,
                    "orders": [{"id": o.id, "status": o.status} for o in c.orders],
                }
                for c in found
            ]
        )
        return
    for c in found:
        orders = ", ".join(f"{o.id} {o.status}" for o in c.orders) or "no orders"
        typer.echo(f"{c.id:<6} {c.name:<22} {c.email:<36} {orders}")


@app.command()
def order(
    order_id: Annotated[str, typer.Argument(help="Order number, e.g. W1234567.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one order: status, tracking, items, payments, refunds and invoices.

    Example: support store order W1234567 --json (a leading '#' is fine: '#W2611340')
    """
    from tools.schemas import money

    try:
        found = _open_store().get_order(order_id.strip().upper().lstrip("#"))
    except ToolError as exc:
        fail(str(exc))
    if found is None:
        fail(f"no order {order_id!r} in the store")
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    total = money(found.total_cents)
    typer.echo(f"{found.id}  {found.status}  customer {found.customer_id}  {total}")
    typer.echo(f"  placed {found.created_at:%Y-%m-%d}  ship to: {found.shipping_address}")
    if found.tracking_number:
        typer.echo(f"  {found.carrier or 'tracking'} {found.tracking_number}")
    for i in found.items:
        typer.echo(f"  {i.quantity} x {i.name} ({i.sku}) {money(i.unit_price_cents)}")
    for p in found.payments:
        typer.echo(f"  payment {p.id}: {p.label} {money(p.amount_cents)} {p.status}")
    for r in found.refunds:
        typer.echo(f"  refund {r.id}: {money(r.amount_cents)} {r.status} ({r.reason})")
    for inv in found.invoices:
        typer.echo(f"  invoice {inv.id}: {money(inv.amount_cents)} {inv.status}")


@app.command("import-tau")
def import_tau_dump(
    path: Annotated[Path, typer.Argument(help="τ-bench retail db.json (users, products, orders).")],
    as_json: JsonFlag = False,
) -> None:
    """Load a τ-bench retail store dump: users, payment methods, products, orders.

    Idempotent: records already in the store are kept as they are. Afterwards
    `support token noah_brown_6181` and `support store order '#W2611340'` work on them.
    Run with POLICY_FILE=tools/policy/tau_retail.toml to apply the τ-bench policy.
    Example: support store import-tau ../shared/datasets/tau-retail/db.json
    """
    from tools.store.tau_import import TauFormatError, import_tau, read_dump

    started = time.perf_counter()
    try:
        data = read_dump(path)
        report = import_tau(_open_store().engine, data)
    except TauFormatError as exc:
        fail(str(exc))
    except Exception as exc:  # any failure: one line, non-zero exit; the import rolled back
        fail(f"import failed, nothing was written: {exc.__class__.__name__}: {exc}")
    seconds = round(time.perf_counter() - started, 2)
    if as_json:
        print_json(
            {
                "added": report.added,
                "existing": report.existing,
                "conflicts": report.conflicts,
                "seconds": seconds,
            }
        )
        return
    added = ", ".join(f"{n} {kind}" for kind, n in report.added.items() if n) or "nothing new"
    typer.echo(f"added {added} in {seconds} s")
    if report.existing:
        kept = ", ".join(f"{n} {kind}" for kind, n in report.existing.items())
        typer.echo(f"already in the store (kept as they are): {kept}")
    for line in report.conflicts:
        typer.echo(f"skipped: {line}")
