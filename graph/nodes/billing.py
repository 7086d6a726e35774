"""Billing branch: the caller's invoices (with a download link) and an order's cancellation fee."""

from __future__ import annotations

import asyncio
from typing import Any

from graph.nodes.common import Rt, action, customer_of, entity, record, say, short_date
from graph.nodes.knowledge import answer_from_knowledge
from graph.nodes.slots import order_not_found, sign_in_required, tool_failure
from graph.state import TurnState
from tools import billing as billing_tools
from tools.errors import BackendUnavailable, NotFound
from tools.schemas import InvoiceView, money


def download_path(invoice_id: str) -> str:
    """Where the signed-in customer downloads the invoice's PDF (see app/routes/billing.py)."""
    return f"/v1/invoices/{invoice_id}"


def _invoice_line(inv: InvoiceView) -> str:
    return f"{inv.id} (order {inv.order_id}, {money(inv.amount_cents)}, {inv.status})"


async def _fee(state: TurnState, runtime: Rt, customer_id: str) -> dict[str, Any]:
    """The cancellation fee of the order named in the message; a general question is
    answered from the help centre."""
    order_id = entity(state, "order_id")
    if order_id is None:
        return await answer_from_knowledge(state, runtime)
    try:
        quote = await asyncio.to_thread(
            billing_tools.cancellation_fee,
            runtime.context.services.store,
            customer_id,
            order_id,
            runtime.context.services.policy,
        )
    except NotFound:
        return order_not_found(state, runtime, "cancellation_fee", order_id)
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "cancellation_fee", exc)
    done = action("cancellation_fee", "ok", f"{quote.order_id}: {money(quote.fee_cents)}")
    return {"reply": quote.message, "pending": None, "actions": record(runtime, state, done)}


async def invoices(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """One invoice by number, the invoices of an order, the caller's invoice list, or the
    cancellation fee of an order."""
    customer_id = customer_of(state, runtime)
    if customer_id is None:
        return sign_in_required(state, runtime)
    if state["intent"] == "check_cancellation_fee":
        return await _fee(state, runtime, customer_id)
    store = runtime.context.services.store
    invoice_id = entity(state, "invoice_id")
    try:
        if invoice_id:
            inv = await asyncio.to_thread(billing_tools.get_invoice, store, customer_id, invoice_id)
            reply = say(
                "invoice_detail",
                invoice_id=inv.id,
                order_id=inv.order_id,
                amount=money(inv.amount_cents),
                issued_on=short_date(inv.issued_at),
                status=inv.status,
                link=download_path(inv.id),
            )
            done = action("get_invoice", "ok", inv.id)
        else:
            found = await asyncio.to_thread(billing_tools.list_invoices, store, customer_id)
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
