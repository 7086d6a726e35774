"""`support store ...`: seed the demo shop and look at customers and orders."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import fail, load_settings, print_json
from tools.errors import ToolError
from tools.schemas import money
from tools.store.backend import SqlStore
from tools.store.seed import seed_demo

app = typer.Typer(
    help="Inspect the shop's store (SQLite by default, DATABASE_URL for Postgres).",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _open_store() -> SqlStore:
    try:
        return SqlStore.from_url(load_settings().database_url)
    except ToolError as exc:
        fail(f"cannot open the store: {exc}")


@app.command()
def seed() -> None:
    """Create the tables and write the demo shop (once; a seeded store is left as is).

    Example: support store seed
    """
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

    Example: support store order W1234567 --json
    """
    try:
        found = _open_store().get_order(order_id.strip().upper())
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
        typer.echo(f"  {found.carrier} {found.tracking_number}")
    for i in found.items:
        typer.echo(f"  {i.quantity} x {i.name} ({i.sku}) {money(i.unit_price_cents)}")
    for p in found.payments:
        typer.echo(f"  payment {p.id}: {p.label} {money(p.amount_cents)} {p.status}")
    for r in found.refunds:
        typer.echo(f"  refund {r.id}: {money(r.amount_cents)} {r.status} ({r.reason})")
    for inv in found.invoices:
        typer.echo(f"  invoice {inv.id}: {money(inv.amount_cents)} {inv.status}")
