"""The fixed intent taxonomy (names match public data sets such as Bitext's)."""

from __future__ import annotations

CATEGORIES: dict[str, tuple[str, ...]] = {
    "ORDER": ("cancel_order", "change_order", "place_order", "track_order"),
    "REFUND": ("get_refund", "track_refund", "check_refund_policy"),
    "INVOICE": ("check_invoice", "get_invoice"),
    "PAYMENT": ("payment_issue", "check_payment_methods"),
    "CANCELLATION_FEE": ("check_cancellation_fee",),
    "DELIVERY": ("delivery_options", "delivery_period"),
    "SHIPPING_ADDRESS": ("change_shipping_address", "set_up_shipping_address"),
    "ACCOUNT": (
        "create_account",
        "delete_account",
        "edit_account",
        "recover_password",
        "registration_problems",
        "switch_account",
    ),
    "FEEDBACK": ("complaint", "review"),
    "CONTACT": ("contact_customer_service", "contact_human_agent"),
    "NEWSLETTER": ("newsletter_subscription",),
    "PRODUCT": ("product_defect", "technical_support"),
    "GENERAL": ("greeting", "goodbye", "out_of_scope"),
}

INTENT_CATEGORY: dict[str, str] = {
    intent: category for category, intents in CATEGORIES.items() for intent in intents
}
INTENTS: tuple[str, ...] = tuple(INTENT_CATEGORY)


def category_of(intent: str) -> str:
    """Category name of an intent; raises KeyError for names outside the taxonomy."""
    return INTENT_CATEGORY[intent]
