"""The order side of a suggested reply: the real facts of the order the customer's last
message is about (status, carrier and tracking number, dates, items, payments, refunds),
said for its concern (app/suggest/topics.py) the way an agent would say them, under the
shop's written policy (return window, cancellation fees, which orders may change address).

Nothing here promises an action that was not taken: where the agent could act, the text
offers it ("I can cancel it now if you'd like").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from app.suggest.words import days_since, item_named, items, paid_with, what_happened
from graph.nodes.common import short_date
from tools.policy import SupportPolicy
from tools.schemas import OrderView, RefundView, money


class OrderFacts:
    """Says one order's facts for one concern, under the shop's written policy."""

    def __init__(
        self,
        policy: SupportPolicy,
        question: str,
        now: datetime | None = None,
        new_address: str = "",
    ) -> None:
        self.policy = policy
        self.question = question
        self.now = now or datetime.now(UTC)
        self.new_address = new_address
        """The address (or zip code) the customer gave for the order, as written."""

    def say(self, concern: str, order: OrderView) -> str:
        """The agent's answer to `concern` about `order` (facts first, then what they can do)."""
        says: dict[str, Callable[[OrderView, str], str]] = {
            "late_delivery": self._where,
            "where_is_order": self._where,
            "not_received": self._where,
            "refund_status": self._refund_status,
            "refund_request": self._refund_request,
            "return_window": self._refund_request,
            "damaged_item": self._problem,
            "wrong_item": self._problem,
            "missing_item": self._problem,
            "cancel": self._cancel,
            "address_change": self._address,
            "double_charge": self._payments,
            "charge": self._payments,
            "invoice": self._invoice,
        }
        return says.get(concern, self._where)(order, concern)

    def _where(self, o: OrderView, concern: str) -> str:
        sorry = "Sorry for the wait. " if concern in ("late_delivery", "not_received") else ""
        if o.status == "shipped":
            return (
                f"{sorry}Your order {o.id} ({items(o)}) shipped on {short_date(o.shipped_at)} "
                f"with {o.carrier}; the tracking number is {o.tracking_number}."
            )
        if o.status == "delivered":
            return (
                f"{o.carrier} shows order {o.id} as delivered on {short_date(o.delivered_at)} "
                f"(tracking number {o.tracking_number})."
            )
        if o.status == "pending":
            return (
                f"{sorry}Order {o.id} ({items(o)}) is still pending: it hasn't gone to the "
                "warehouse yet, so it has no tracking number yet."
            )
        if o.status == "processing":
            return (
                f"{sorry}Order {o.id} ({items(o)}) is processing: the warehouse is packing it, "
                "and it gets a tracking number as soon as it ships."
            )
        return self._status(o)

    def _status(self, o: OrderView) -> str:
        if o.status == "cancelled":
            return f"Order {o.id} was cancelled{self._refund_note(o)}"
        return f"Order {o.id} ({items(o)}) is {o.status}."

    def _refund_note(self, o: OrderView) -> str:
        if o.refunds:
            return "; " + "; ".join(self._refund(o, r) for r in o.refunds) + "."
        refunded = [p for p in o.payments if p.status == "refunded"]
        if refunded:
            p = refunded[0]
            return f" and its payment of {money(p.amount_cents)} was refunded to {p.label}."
        return "."

    def _refund(self, o: OrderView, r: RefundView) -> str:
        to = paid_with(o) if r.destination in (None, "original") else r.destination
        state = {
            "requested": "was requested on {day} and is waiting for approval",
            "approved": "was approved on {day}",
            "completed": "was issued on {day}",
            "rejected": "was rejected on {day}",
        }.get(r.status, "is " + r.status + " ({day})")
        day = short_date(r.created_at)
        said = f"the refund of {money(r.amount_cents)} {state.format(day=day)}"
        return said if r.status == "rejected" else f"{said}, to {to}"

    def _refund_status(self, o: OrderView, concern: str) -> str:
        if o.status == "cancelled":
            return self._status(o)
        if o.refunds:
            said = f"Order {o.id}: " + self._refund_note(o).removeprefix("; ")
            if o.refunds[-1].status == "rejected":
                said += " If the item has a fault, it may still be covered by our warranty."
            return said
        return (
            f"I don't see a refund on order {o.id} yet ({o.status}, paid {money(o.total_cents)} "
            f"with {paid_with(o)})."
        )

    def _window(self, o: OrderView) -> tuple[int, bool]:
        days = days_since(o.delivered_at, self.now)
        return (days or 0), days is not None and days <= self.policy.window_days

    def _refund_request(self, o: OrderView, concern: str) -> str:
        n = self.policy.window_days
        if o.refunds or o.status == "cancelled":  # never offer what was already refunded
            return self._refund_status(o, concern)
        if o.status not in self.policy.refund_statuses:
            cancellable = o.status in (*self.policy.cancel_statuses, "shipped")
            return self._cancel(o, concern) if cancellable else self._status(o)
        days, inside = self._window(o)
        delivered = f"Order {o.id} was delivered on {short_date(o.delivered_at)}"
        if not inside:
            return (
                f"{delivered}, {days} days ago, so it's past our {n}-day return window and "
                "can't be refunded; an item with a fault may still be covered by our warranty."
            )
        return (
            f"{delivered}, inside our {n}-day return window, so it can be returned for a "
            f"refund of up to {money(o.total_cents)} to {paid_with(o)}. I can start the "
            "return and refund now if you'd like."
        )

    def _problem(self, o: OrderView, concern: str) -> str:
        item = item_named(o, self.question)
        if o.status != "delivered":
            return f"I'm sorry about the {item}. " + self._where(o, concern)
        sorry = {
            "wrong_item": f"I'm sorry you received the wrong item instead of the {item} from "
            f"order {o.id}.",
            "missing_item": f"I'm sorry the {item} was missing from order {o.id}.",
        }.get(concern, f"I'm sorry the {item} from order {o.id} {what_happened(self.question)}.")
        covering = [r for r in o.refunds if r.status != "rejected" and covers(r, o, item)]
        if covering:  # never offer to refund what was already refunded
            return f"{sorry} I see {self._refund(o, covering[-1])}."
        days, inside = self._window(o)
        n = self.policy.window_days
        delivered = f"It was delivered on {short_date(o.delivered_at)}"
        if not inside:
            return (
                f"{sorry} {delivered}, more than {n} days ago, so it's past the {n}-day report "
                "window, but a fault may still be covered by our warranty."
            )
        photo = "" if concern == "missing_item" else " Could you send a photo of it and the box?"
        return (
            f"{sorry} {delivered}, within {n} days, so I can send a replacement or refund it "
            f"to {paid_with(o)}.{photo}"
        )

    def _cancel(self, o: OrderView, concern: str) -> str:
        if o.status in self.policy.cancel_statuses:
            fee = self.policy.cancel_fee_cents(o.status)
            back = money(o.total_cents - fee)
            charge = f"for the {money(fee)} cancellation fee" if fee else "free of charge"
            return (
                f"Order {o.id} ({items(o)}) is {o.status}, so it can still be cancelled "
                f"{charge}; {back} would go back to {paid_with(o)}. I can cancel it now if "
                "you'd like."
            )
        if o.status == "shipped":
            return (
                f"Order {o.id} has already shipped with {o.carrier} (tracking number "
                f"{o.tracking_number}), so it can't be cancelled; once it's delivered it can be "
                f"returned within {self.policy.window_days} days for a refund."
            )
        if o.status == "delivered":
            return self._refund_request(o, concern)
        return self._status(o)

    def _address(self, o: OrderView, concern: str) -> str:
        if o.status in self.policy.address_change_statuses:
            can = f"Order {o.id} is still {o.status}, so its shipping address can still be changed"
            new = self.new_address
            if new and new.lower() in (o.shipping_address or "").lower():
                return f"{can}, and it's now going to {o.shipping_address}."
            if new:
                what = "its zip code" if new.replace("-", "").isdigit() else "it"
                return f"{can}: I can update {what} to {new} now if you'd like."
            return (
                f"{can} (it's going to {o.shipping_address}). Send me the new address and "
                "I'll update it."
            )
        if o.status in ("shipped", "delivered"):
            return (
                f"Order {o.id} has already {o.status} with {o.carrier} (tracking number "
                f"{o.tracking_number}), so its address can't be changed any more."
            )
        return (
            f"Order {o.id} is {o.status}, so its address is locked and can't be changed any more."
        )

    def _payments(self, o: OrderView, concern: str) -> str:
        paid = [f"{money(p.amount_cents)} on {p.label} ({p.status})" for p in o.payments]
        count = "one payment" if len(paid) == 1 else f"{len(paid)} payments"
        return f"On our side order {o.id} has {count}: {'; '.join(paid)}."

    def _invoice(self, o: OrderView, concern: str) -> str:
        if not o.invoices:
            return f"Order {o.id} has no invoice ({o.status})."
        inv = o.invoices[-1]
        return (
            f"The invoice for order {o.id} is {inv.id} ({money(inv.amount_cents)}, issued "
            f"{short_date(inv.issued_at)})."
        )


def covers(refund: RefundView, order: OrderView, item_name: str) -> bool:
    """Whether `refund` already covers the order's line named `item_name` (a refund of
    the whole order covers every line)."""
    if refund.skus is None:
        return True
    skus = {i.sku for i in order.items if i.name == item_name}
    return bool(skus & set(refund.skus))
