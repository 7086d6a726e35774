"""Billing branch: the caller's invoices."""

from __future__ import annotations

import asyncio

from graph.nodes.common import Rt, action, entity, record, say, short_date
from graph.nodes.slots import sign_in_required, tool_failure
from graph.state import TurnState
from tools import billing as billing_tools
from tools.errors import BackendUnavailable, NotFound
from tools.schemas import InvoiceView, money


def _invoice_line(inv: InvoiceView) -> str:
    return f"{inv.id} (order {inv.order_id}, {money(inv.amount_cents)}, {inv.status})"


async def invoices(state: TurnState, runtime: Rt) -> dict:
    """One invoice by number, the invoices of an order, or the caller's invoice list."""
    ctx = runtime.context
    if ctx.customer_id is None:
        return sign_in_required(state, runtime)
    store = ctx.services.store
    invoice_id = entity(state, "invoice_id")
    try:
        if invoice_id:
            inv = await asyncio.to_thread(
                billing_tools.get_invoice, store, ctx.customer_id, invoice_id
            )
            reply = say(
                "invoice_detail",
                invoice_id=inv.id,
                order_id=inv.order_id,
                amount=money(inv.amount_cents),
                issued_on=short_date(inv.issued_at),
                status=inv.status,
            )
            done = action("get_invoice", "ok", inv.id)
        else:
            found = await asyncio.to_thread(billing_tools.list_invoices, store, ctx.customer_id)
            order_id = entity(state, "order_id")
            if order_id:
                found = [inv for inv in found if inv.order_id == order_id]
            if found:
                reply = say("invoice_list", invoices="; ".join(_invoice_line(i) for i in found[:5]))
            else:
                reply = say("invoice_none")
            done = action("list_invoices", "ok", f"{len(found)} invoices")
    except NotFound:
        return {
            "reply": say("invoice_not_found", invoice_id=invoice_id),
            "actions": record(runtime, state, action("get_invoice", "not_found", str(invoice_id))),
        }
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "invoices", exc)
    return {"reply": reply, "pending": None, "actions": record(runtime, state, done)}
