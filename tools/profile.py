"""Profile tools: the signed-in customer's default shipping address."""

from __future__ import annotations

from tools.change_views import DefaultAddressView
from tools.errors import NotAllowed
from tools.store.backend import StoreBackend


def change_default_address(
    store: StoreBackend, customer_id: str, address: str, idempotency_key: str, actor: str
) -> DefaultAddressView:
    """Change the signed-in customer's default shipping address, after the customer
    confirmed the new one. Orders already placed keep theirs (change those one by one).

    Audited; the same `idempotency_key` always yields the same single change.
    """
    if not address.strip():
        raise NotAllowed("The new address is empty.")
    return store.change_default_address(
        customer_id=customer_id,
        address=address.strip(),
        idempotency_key=idempotency_key,
        actor=actor,
    )
