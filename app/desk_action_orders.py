"""Cancelling an order and changing its shipping address from the desk, as the agent."""

from __future__ import annotations

from app.desk_action_case import Case, audit_of, digest, own_order
from app.desk_action_errors import ActionRefused, IdempotencyConflict, InvalidAddress
from app.desk_action_schemas import ActionResult, AddressAction, CancelAction
from graph.nodes.common import say
from tools import orders as order_tools
from tools.addresses import find_address, with_recipient
from tools.errors import NotAllowed
from tools.policy import SupportPolicy
from tools.schemas import money
from tools.store.protocol import StoreBackend

# -- cancel -------------------------------------------------------------------------------


def cancel(
    store: StoreBackend, policy: SupportPolicy, case: Case, request: CancelAction
) -> ActionResult:
    """Cancel a pending or processing order (policy: statuses, accepted reasons, fee);
    what was paid, less the fee, goes back to the original payment method."""
    order = own_order(store, case, request.order_id)
    key = case.key("cancel", request.idempotency_key, order.id)
    repeated = store.recorded_write(key)
    fee = None
    if not repeated:
        quote = order_tools.quote_cancel(order, policy, request.reason)
        if not quote.eligible:
            raise ActionRefused(quote.message)
        fee = quote.fee_cents
    try:
        done = order_tools.cancel_order(
            store, case.customer_id, order.id, policy, request.reason, key, case.actor,
            expected_fee_cents=fee,
        )  # fmt: skip
    except NotAllowed as exc:
        raise ActionRefused(str(exc)) from exc
    if done.order_id != order.id:
        raise IdempotencyConflict("this request's key was already used for another order")
    note = ""
    if done.refund is not None:
        note = say("cancel_refund_note", amount=money(done.refund.amount_cents),
                   payment=done.refund.destination or "", refund_id=done.refund.id)  # fmt: skip
    audit_id, actor = audit_of(store, order.id, "order.cancel")
    return ActionResult(
        action="cancel",
        escalation_id=case.escalation_id,
        order_id=order.id,
        status="cancelled",
        summary=say("cancel_done", order_id=done.order_id, refund_note=note),
        repeated=repeated,
        actor=actor or case.actor,
        audit_id=audit_id,
        refund_id=done.refund.id if done.refund else None,
        amount_cents=done.refund.amount_cents if done.refund else None,
        amount=money(done.refund.amount_cents) if done.refund else None,
        destination=done.refund.destination if done.refund else None,
        fee_cents=done.fee_cents,
    )


# -- shipping address ---------------------------------------------------------------------


def change_address(
    store: StoreBackend, policy: SupportPolicy, case: Case, request: AddressAction
) -> ActionResult:
    """Ship a pending order to a new, complete address (the recipient's name and the
    country on file are kept, as when the customer asks the bot)."""
    found = find_address(request.address)
    if found is None:
        raise InvalidAddress(
            "address: not a complete postal address; give the street with its number, the "
            "city, then state and ZIP (or province and postal code, or a UK postcode), e.g. "
            "12 Oak Lane, Apt 3, Portland, OR 97205."
        )
    order = own_order(store, case, request.order_id)
    new = with_recipient(order.shipping_address, found.line())
    key = case.key("address", request.idempotency_key, order.id, digest(new))
    repeated = store.recorded_write(key)
    if not repeated:
        if refusal := order_tools.address_change_refusal(order, policy):
            raise ActionRefused(refusal)
        if new == order.shipping_address:
            raise ActionRefused(f"Order {order.id} already ships to {new}; nothing was changed.")
    try:
        done = order_tools.change_shipping_address(
            store, case.customer_id, order.id, policy, new, key, case.actor
        )
    except NotAllowed as exc:
        raise ActionRefused(str(exc)) from exc
    if done.order_id != order.id or done.after != new:
        raise IdempotencyConflict("this request's key was already used for another change")
    audit_id, actor = audit_of(store, order.id, "order.change_address")
    return ActionResult(
        action="address",
        escalation_id=case.escalation_id,
        order_id=order.id,
        status="address_changed",
        summary=say("address_done", order_id=order.id, address=done.after),
        repeated=repeated,
        actor=actor or case.actor,
        audit_id=audit_id,
        address_before=done.before,
        address_after=done.after,
    )
