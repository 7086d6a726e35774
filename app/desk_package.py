"""The handoff package: everything an agent needs to take over one conversation, built from
the escalation, the conversation's checkpoint, the store and the help centre."""

from __future__ import annotations

import asyncio
from typing import Any

from app.approvals import ApprovalDesk
from app.chat import ChatService
from app.desk_queue import order_ids
from app.suggest import ReplySuggester
from graph.context import Services
from nlu.taxonomy import INTENTS
from tools.items import match_items
from tools.schemas import OrderView
from tools.store.protocol import StoreBackend

LATEST_ORDERS = 3
"""Orders the package shows when the conversation names fewer."""
CUSTOMER_ORDERS = 5
"""Orders the customer panel lists."""
PRODUCT_SEARCH = 10
"""Latest orders searched for a product the customer names without an order number."""
TICKET_FIELDS = ("id", "reason", "status", "assignee", "customer_id", "intent", "confidence",
                 "session_id", "created_at", "claimed_at", "resolved_at", "waiting_since",
                 "first_response_at")  # fmt: skip
LINE_FIELDS = ("role", "content", "at", "intent", "confidence", "author")


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def order_card(order: OrderView, mentioned: bool) -> dict[str, Any]:
    """An order as the desk shows it: status, tracking, items, refunded so far."""
    return {
        "id": order.id,
        "status": order.status,
        "total": money(order.total_cents),
        "placed_at": order.created_at.date().isoformat(),
        "mentioned": mentioned,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "items": [
            {
                "sku": i.sku,
                "name": i.name,
                "quantity": i.quantity,
                "price": money(i.unit_price_cents),
                "refundable": i.refundable,
            }  # fmt: skip
            for i in order.items
        ],
        "refunded": money(sum(r.amount_cents for r in order.refunds)),
    }


def orders_in_question(
    store: StoreBackend,
    customer_id: str | None,
    lines: list[dict[str, Any]],
    entities: list[Any] | None = None,
    approved: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The orders the conversation is about first (the latest the customer mentioned, then
    the escalating turn's entities and approvals), marked `mentioned`, then the customer's
    latest others, LATEST_ORDERS in all; only orders of `customer_id` are shown."""
    mentioned = order_ids({"transcript": lines, "entities": entities or []})
    mentioned += [o for o in approved or [] if o not in mentioned]
    latest = [o.id for o in store.list_orders(customer_id)] if customer_id else []
    if customer_id and not mentioned:  # "my headphones haven't arrived": the order they're in
        mentioned = by_product(store, latest[:PRODUCT_SEARCH], lines)
    wanted = list(mentioned)
    wanted += [o for o in latest if o not in wanted][: max(0, LATEST_ORDERS - len(wanted))]
    out = []
    for order_id in wanted:
        order = store.get_order(order_id)
        if order is None or (customer_id and order.customer_id != customer_id):
            continue
        out.append(order_card(order, order.id in mentioned))
    return out


def by_product(store: StoreBackend, order_ids: list[str], lines: list[dict[str, Any]]) -> list[str]:
    """Those of `order_ids` holding a product the customer's latest line naming any
    product names ("the headphones", "my charger"), newest first."""
    said = [str(ln.get("content") or "") for ln in lines if ln.get("role") == "customer"]
    orders = [o for o in (store.get_order(i) for i in order_ids) if o is not None]
    for text in reversed(said):
        found = [o.id for o in orders if match_items(o, text).lines]
        if found:
            return found
    return []


class PackageBuilder:
    """Builds handoff packages (`build`) for the desk."""

    def __init__(
        self, chat: ChatService, services: Services, approvals: ApprovalDesk,
        suggester: ReplySuggester,
    ) -> None:  # fmt: skip
        self._chat = chat
        self._services = services
        self._approvals = approvals
        self._suggester = suggester

    async def lines(self, row: dict[str, Any], values: dict[str, Any] | None = None) -> list[dict]:
        """The conversation so far: the checkpoint merged with out-of-bot lines, or the
        escalation's own snapshot when the conversation has no checkpoint."""
        if values is None:
            values = await self._chat.state_values(row["session_id"])
        lines = await self._chat.transcript(row["session_id"], values) if values else []
        return lines or [dict(ln) for ln in row["transcript"]]

    async def build(self, row: dict[str, Any]) -> dict[str, Any]:
        store = self._services.store
        values = await self._chat.state_values(row["session_id"])
        lines = await self.lines(row, values)
        history = [
            {
                "turn": i,
                "intent": ln["intent"],
                "confidence": ln.get("confidence"),
                "at": ln.get("at"),
            }  # fmt: skip
            for i, ln in enumerate(lines)
            if ln.get("role") == "customer" and ln.get("intent")
        ]
        sentiment = next(
            (ln["sentiment"] for ln in reversed(lines) if ln.get("sentiment")),
            values.get("sentiment"),
        )
        entities = row["entities"] or values.get("entities") or []
        approvals = [
            {
                "id": a.id,
                "order_id": a.order_id,
                "amount": money(a.amount_cents),
                "amount_cents": a.amount_cents,
                "status": a.status,
            }  # fmt: skip
            for a in await self._approvals.list(None)
            if a.session_id == row["session_id"]
        ]
        orders = await self._orders(row, lines, approvals)
        suggestion, citations = await self._suggester.suggest(  # mentioned orders come first
            row["id"], lines, order_ids=[o["id"] for o in orders], customer_id=row["customer_id"]
        )
        notes = await asyncio.to_thread(store.list_notes, row["id"])
        owner = await asyncio.to_thread(store.session_owner, row["session_id"])
        return {
            "escalation": {k: row.get(k) for k in TICKET_FIELDS},
            "transcript": [
                {k: ln[k] for k in LINE_FIELDS if ln.get(k) is not None} for ln in lines
            ],
            "intent_history": history,
            "entities": [e for e in entities if isinstance(e, dict)],
            "sentiment": sentiment if isinstance(sentiment, dict) else None,
            "orders": orders,
            "citations": citations or list(values.get("citations") or []),
            "suggested_reply": suggestion,
            "approvals": approvals,
            "intents": list(INTENTS),
            "predicted_intent": history[-1]["intent"] if history else row.get("intent"),
            "customer": await self._customer(row),
            "notes": notes,
            "channel": owner[1] if owner else "api",
        }

    async def _orders(
        self, row: dict[str, Any], lines: list[dict[str, Any]], approvals: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        return await asyncio.to_thread(
            orders_in_question, self._services.store, row["customer_id"], lines,
            row["entities"], [a["order_id"] for a in approvals],
        )  # fmt: skip

    async def _customer(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """The customer panel: who they are, their latest orders, their other conversations
        with outcome and CSAT."""
        customer = row["customer_id"]
        if not customer:
            return None
        store = self._services.store
        profile = await asyncio.to_thread(store.customer_profile, customer)
        if profile is None:
            return None
        summaries = await asyncio.to_thread(store.list_orders, customer)
        orders = []
        for summary in summaries[:CUSTOMER_ORDERS]:
            order = await asyncio.to_thread(store.get_order, summary.id)
            if order is not None:
                orders.append(order_card(order, False))
        past = await asyncio.to_thread(store.customer_conversations, customer)
        return {
            **profile,
            "orders": orders,
            "conversations": [c for c in past if c["session_id"] != row["session_id"]],
        }
