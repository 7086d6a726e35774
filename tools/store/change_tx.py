"""A pending order moved to another payment method, and a customer's default address
(each exactly once).

Each runs in the caller's transaction on the locked order (or customer): the policy's
verdict, the change, the money it moves, the audit row and the idempotency record commit
together or not at all. A repeat under the same key returns the first result unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tools.change_views import DefaultAddressView, PaymentChangeView
from tools.errors import NotAllowed, NotFound
from tools.schemas import OrderView, PaymentMethodView, payment_label
from tools.store import views
from tools.store.ledger import (
    MISSING_METHOD,
    charge,
    lock_wallets,
    method_label,
    pay_back,
    snapshot,
)
from tools.store.models import AuditLog, Customer
from tools.store.order_tx import prior_result, remember
from tools.store.refund_tx import lock_order, mark_payments

PaymentCheck = Callable[[OrderView, PaymentMethodView], None]
"""The payment-change policy run on the locked order; raises to refuse the change."""

ADDRESS_ACTION = "customer.change_address"
PAYMENT_ACTION = "order.change_payment"


def write_payment_change(
    session: Session,
    *,
    customer_id: str,
    order_id: str,
    method_id: str,
    idempotency_key: str,
    actor: str,
    check: PaymentCheck,
) -> PaymentChangeView:
    """Move the customer's order to another of their payment methods, if `check` (the
    policy, run on the locked order) allows it: what is left of each earlier payment goes
    back to it (a gift card at once) and the same is charged to the new method."""
    action = PAYMENT_ACTION
    if (prior := prior_result(session, idempotency_key, action)) is not None:
        return _same_order(PaymentChangeView.model_validate(prior), order_id)
    order = lock_order(session, order_id, customer_id)
    if (prior := prior_result(session, idempotency_key, action)) is not None:
        return _same_order(PaymentChangeView.model_validate(prior), order_id)
    used = {p.method_id for p in order.payments if p.method_id}
    wallets = lock_wallets(session, customer_id, {method_id, *used})
    if (method := wallets.get(method_id)) is None:
        raise NotFound(MISSING_METHOD)
    view = views.order(order)
    check(view, views.payment_method(method))
    old = [wallets[m] for m in sorted(used) if m in wallets and m != method_id]
    before = snapshot(order, method, *old)
    paid = view.current_payment
    left = before["refunded_cents"]
    amount = 0
    for n, payment in enumerate(list(order.payments), start=1):
        share = min(left, payment.amount_cents)
        left -= share
        rest = payment.amount_cents - share
        if rest <= 0:
            continue
        amount += rest
        label = payment_label(payment.method, payment.brand, payment.last4)
        pay_back(session, order, rest, label, f"{idempotency_key}:refund:{n}",
                  f"Payment moved to {method_label(method)}")  # fmt: skip
        wallet = wallets.get(payment.method_id or "")
        if wallet is not None and wallet.method == "gift_card" and wallet.balance_cents is not None:
            wallet.balance_cents += rest  # a gift card is paid back at once
    if amount > 0:
        charge(order, amount, method)
    if method.method == "gift_card" and method.balance_cents is not None:
        method.balance_cents -= amount
    mark_payments(order)
    result = PaymentChangeView(
        order_id=order.id,
        before=paid.label if paid else "the original payment method",
        after=method_label(method),
        amount_cents=amount,
    )
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            entity="order",
            entity_id=order.id,
            before=before,
            after={**snapshot(order, method, *old), "payment_method": method.id},
        )
    )
    remember(session, idempotency_key, action, order.id, result)
    return result


def _same_order(result: PaymentChangeView, order_id: str) -> PaymentChangeView:
    if result.order_id != order_id:
        raise NotAllowed("This request id was already used for another order.")
    return result


# -- default address --------------------------------------------------------------------


def write_default_address(
    session: Session, *, customer_id: str, address: str, idempotency_key: str, actor: str
) -> DefaultAddressView:
    """Set the customer's default shipping address (orders already placed keep theirs)."""
    if (prior := _prior_address(session, idempotency_key, customer_id)) is not None:
        return prior
    lock = select(Customer).where(Customer.id == customer_id).with_for_update()
    customer = session.scalar(lock)
    if customer is None:
        raise NotFound("We couldn't find your account.")
    if (prior := _prior_address(session, idempotency_key, customer_id)) is not None:
        return prior  # a twin committed while we waited for the lock
    result = DefaultAddressView(customer_id=customer_id, before=customer.address, after=address)
    customer.address = address
    session.add(
        AuditLog(
            actor=actor,
            action=ADDRESS_ACTION,
            entity="customer",
            entity_id=customer_id,
            before={"address": result.before},
            after={"address": result.after},
        )
    )
    remember(session, idempotency_key, ADDRESS_ACTION, customer_id, result)
    return result


def _prior_address(session: Session, key: str, customer_id: str) -> DefaultAddressView | None:
    prior = prior_result(session, key, ADDRESS_ACTION)
    if prior is None:
        return None
    result = DefaultAddressView.model_validate(prior)
    if result.customer_id != customer_id:
        raise NotAllowed("This request id was already used for another account.")
    return result
