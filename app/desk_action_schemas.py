"""What an agent sends to act on an escalated customer's order, and what comes back.

One body per action, told apart by `action`: "refund" (a whole order or chosen lines),
"return" (the same thing under the name customers use: in this shop a return is a refund
of delivered items), "cancel" (a pending or processing order) and "address" (a pending
order's shipping address). Unknown fields are refused (422), so a typo never silently
drops part of what the agent meant.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ActionName = Literal["refund", "return", "cancel", "address"]


class ItemPick(BaseModel):
    """One line of the order, by SKU (as the handoff package lists it)."""

    model_config = ConfigDict(extra="forbid")

    sku: Annotated[
        str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=64)
    ]
    quantity: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="Units of that line; omitted: every unit not refunded yet. Refunds cover "
        "whole lines, so a number below the units still open is refused (409).",
    )


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ] = Field(description="One of the escalation's customer's orders, e.g. W1234567.")
    idempotency_key: (
        Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[\w.:-]+$")]
        | None
    ) = Field(
        None,
        description="Repeat a request with the same key to get the same result, never a second "
        "write. Omitted: derived from the escalation, action, order and lines (or address).",
    )


class _Lines(_Action):
    items: list[ItemPick] = Field(
        default_factory=list,
        max_length=50,
        description="The lines to refund; empty or omitted: the whole order.",
    )
    reason: Text = Field(description="Why, in the agent's words (kept with the refund).")

    @field_validator("items")
    @classmethod
    def _each_sku_once(cls, items: list[ItemPick]) -> list[ItemPick]:
        skus = [i.sku for i in items]
        if len(set(skus)) != len(skus):
            raise ValueError("name each sku once")
        return items


class RefundAction(_Lines):
    """Refund a delivered order, or some of its lines, to where the policy sends money."""

    action: Literal["refund"]


class ReturnAction(_Lines):
    """A return: in this shop, a refund of delivered items (same policy, same record)."""

    action: Literal["return"]


class CancelAction(_Action):
    """Cancel a pending or processing order; what was paid, less any fee, goes back."""

    action: Literal["cancel"]
    reason: Text = Field(description="One of the policy's cancellation reasons, in any words.")


class AddressAction(_Action):
    """Ship a pending order somewhere else."""

    action: Literal["address"]
    address: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ] = Field(
        description="The full new address on one line: street with number, optional second "
        "line, city, state and ZIP (or province and postal code, or UK postcode), country.",
        examples=["12 Oak Lane, Apt 3, Portland, OR 97205"],
    )


ActionRequest = Annotated[
    RefundAction | ReturnAction | CancelAction | AddressAction, Field(discriminator="action")
]


class ActionResult(BaseModel):
    """A done action (or the same one done before: `repeated`)."""

    action: ActionName
    escalation_id: str
    order_id: str
    status: Literal["refunded", "cancelled", "address_changed"]
    summary: str = Field(description="The sentence the customer got in their conversation.")
    repeated: bool = Field(
        False, description="This request was done before; nothing new was written or said."
    )
    actor: str = Field(description="Who the audit log names, e.g. agent:ann.")
    audit_id: int | None = None
    refund_id: str | None = None
    amount_cents: int | None = None
    amount: str | None = Field(None, description="The refunded amount, e.g. $129.00.")
    destination: str | None = Field(None, description="Where the money goes.")
    skus: list[str] | None = Field(None, description="Lines the refund covers, one per unit.")
    over_limit: bool = Field(
        False,
        description="The refund is above the policy's auto-approve limit, which holds the "
        "bot back; the agent's own action is the human approval (noted in the audit).",
    )
    fee_cents: int | None = None
    address_before: str | None = None
    address_after: str | None = None
