"""Load a τ-bench retail store dump (users, products, orders) into the store.

The dump is the JSON of sierra-research/tau2-bench's retail domain: `{"products": {...},
"users": {...}, "orders": {...}}`. Mapping:

- users -> customers (id kept: 'noah_brown_6181'; name, email, ZIP and default address)
  and their payment methods (credit_card -> card with brand and last four, paypal,
  gift_card with its balance);
- products -> one product row per variant (SKU = the variant's item_id, category = the
  product's name, options kept);
- orders -> orders ('#W2611340' is stored as 'W2611340', the shape our order numbers
  have), one item line per ordered item, the first fulfilment's tracking number, and
  payment_history: payments become captured payments, refunds become completed refunds.

τ-bench orders carry no dates. Each imported order gets dates derived from its id
(stable from run to run), placed within the last few weeks of `today`, so policy windows
apply sensibly. Importing is idempotent: records already in the store are left as they
are (so actions taken on imported orders survive a re-import); a user whose email belongs
to another customer is reported as a conflict and skipped with their orders.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from tools.schemas import payment_label
from tools.store.db import create_schema, session_factory
from tools.store.models import (
    Customer,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Product,
    Refund,
)
from tools.store.refund_tx import mark_payments

SOURCES = {"credit_card": "card", "paypal": "paypal", "gift_card": "gift_card"}


class TauFormatError(ValueError):
    """The file is not a τ-bench retail store dump."""


@dataclass
class ImportReport:
    """What an import added, what it found already there, and what it had to skip."""

    added: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    def count(self, kind: str, n: int = 1) -> None:
        self.added[kind] = self.added.get(kind, 0) + n

    def seen(self, kind: str) -> None:
        self.existing[kind] = self.existing.get(kind, 0) + 1


def read_dump(path: str | Path) -> dict[str, Any]:
    """The parsed dump; TauFormatError when the file is missing, not JSON or not τ-shaped."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TauFormatError(f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise TauFormatError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), dict) for k in ("products", "users", "orders")
    ):
        raise TauFormatError(
            f"{path} is not a τ-bench retail dump: expected objects 'products', 'users' "
            "and 'orders' at the top level"
        )
    return data


def order_id(raw: str) -> str:
    """'#W2611340' -> 'W2611340'."""
    return raw.strip().lstrip("#").upper()


def _cents(amount: Any) -> int:
    return round(float(amount) * 100)


def _address(addr: dict[str, Any]) -> str:
    street = ", ".join(p for p in (addr.get("address1"), addr.get("address2")) if p)
    place = f"{addr.get('city', '')}, {addr.get('state', '')} {addr.get('zip', '')}".strip()
    return ", ".join(p for p in (street, place, addr.get("country")) if p)


def _h(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def _dates(oid: str, status: str, midnight: datetime) -> dict[str, datetime | None]:
    """Order dates derived from the id: stable across runs, within the last weeks."""
    h = _h(oid)
    at = midnight + timedelta(minutes=8 * 60 + h % (12 * 60))
    if status == "delivered":
        delivered = at - timedelta(days=1 + h % 12)
        shipped = delivered - timedelta(days=2)
        return {"created_at": shipped - timedelta(days=1), "shipped_at": shipped,
                "delivered_at": delivered}  # fmt: skip
    if status == "processed":
        shipped = at - timedelta(days=1 + h % 3)
        return {"created_at": shipped - timedelta(days=1), "shipped_at": shipped,
                "delivered_at": None}  # fmt: skip
    if status == "cancelled":
        created = at - timedelta(days=5 + h % 30)
        return {"created_at": created, "shipped_at": None, "delivered_at": None,
                "cancelled_at": created + timedelta(days=1)}  # fmt: skip
    return {"created_at": at - timedelta(days=h % 3), "shipped_at": None, "delivered_at": None}


def _method(pm: dict[str, Any], customer_id: str) -> PaymentMethod:
    kind = SOURCES.get(pm.get("source", ""), pm.get("source", "card"))
    brand = pm.get("brand")
    return PaymentMethod(
        id=pm["id"],
        customer_id=customer_id,
        method=kind,
        brand=str(brand).title() if brand else ("Gift card" if kind == "gift_card" else None),
        last4=pm.get("last_four"),
        balance_cents=_cents(pm["balance"]) if pm.get("balance") is not None else None,
    )


def _products(data: dict[str, Any], have: set[str], report: ImportReport) -> list[Product]:
    rows = []
    for product in data["products"].values():
        for variant in product.get("variants", {}).values():
            sku = str(variant["item_id"])
            if sku in have:
                report.seen("products")
                continue
            have.add(sku)
            rows.append(
                Product(
                    sku=sku,
                    name=product["name"],
                    category=product["name"].lower(),
                    price_cents=_cents(variant["price"]),
                    refundable=True,
                    group_id=str(product["product_id"]),
                    options=variant.get("options") or {},
                    available=bool(variant.get("available", True)),
                )
            )
    report.count("products", len(rows))
    return rows


def _order(raw: dict[str, Any], customer: Customer, wallet: dict[str, PaymentMethod],
           midnight: datetime) -> Order:  # fmt: skip
    oid = order_id(raw["order_id"])
    dates = _dates(oid, raw["status"], midnight)
    tracking = [t for f in raw.get("fulfillments", []) for t in f.get("tracking_id", [])]
    order = Order(
        id=oid,
        customer_id=customer.id,
        status=raw["status"],
        shipping_address=f"{customer.name}, {_address(raw.get('address') or {})}",
        tracking_number=tracking[0] if tracking else None,
        carrier=None,
        **dates,
    )
    order.items = [
        OrderItem(
            sku=str(item["item_id"]),
            name=f"{item['name']} ({', '.join(str(v) for v in item.get('options', {}).values())})",
            quantity=1,
            unit_price_cents=_cents(item["price"]),
        )
        for item in raw.get("items", [])
    ]
    order.total_cents = sum(i.unit_price_cents for i in order.items)
    n = 0
    for entry in raw.get("payment_history", []):
        n += 1
        method = wallet.get(entry["payment_method_id"])
        kind = method.method if method else "card"
        label = payment_label(
            kind, method.brand if method else None, method.last4 if method else None
        )
        if entry["transaction_type"] == "refund":
            order.refunds.append(
                Refund(
                    id=f"R-{oid}-{n}",
                    customer_id=customer.id,
                    amount_cents=_cents(entry["amount"]),
                    status="completed",
                    reason="Refund recorded in the imported τ-bench store",
                    idempotency_key=f"tau:{oid}:{n}",
                    created_at=dates.get("cancelled_at") or dates["created_at"],
                    destination=label,
                )
            )
        else:
            order.payments.append(
                Payment(
                    id=f"PAY-{oid}-{n}",
                    method=kind,
                    method_id=entry["payment_method_id"],
                    brand=method.brand if method else None,
                    last4=method.last4 if method else None,
                    amount_cents=_cents(entry["amount"]),
                    status="captured",
                    created_at=dates["created_at"],
                )
            )
    mark_payments(order)
    return order


def import_tau(engine: Engine, data: dict[str, Any], *, today: date | None = None) -> ImportReport:
    """Write a parsed τ-bench dump into the store in one transaction; see the module doc."""
    create_schema(engine)
    report = ImportReport()
    midnight = datetime.combine(today or datetime.now(UTC).date(), time(0), tzinfo=UTC)
    with session_factory(engine).begin() as s:
        have_skus = set(s.scalars(select(Product.sku)))
        have_customers = set(s.scalars(select(Customer.id)))
        emails = {e.lower(): cid for cid, e in s.execute(select(Customer.id, Customer.email))}
        have_orders = set(s.scalars(select(Order.id)))
        have_methods = set(s.scalars(select(PaymentMethod.id)))

        s.add_all(_products(data, have_skus, report))
        s.flush()
        customers: dict[str, Customer] = {}
        wallets: dict[str, dict[str, PaymentMethod]] = {}
        for uid, user in data["users"].items():
            uid = str(user.get("user_id") or uid)
            name = f"{user['name']['first_name']} {user['name']['last_name']}"
            email = str(user["email"]).lower()
            if emails.get(email, uid) != uid:
                report.conflicts.append(f"user {uid}: email {email} belongs to {emails[email]}")
                continue
            address = user.get("address") or {}
            joined = midnight - timedelta(days=60 + _h(uid) % 600)
            customer = Customer(
                id=uid,
                email=email,
                name=name,
                phone="",
                zip_code=str(address.get("zip", ""))[:10],
                address=_address(address),
                created_at=joined,
            )
            if uid in have_customers:
                report.seen("customers")
                customer = s.get(Customer, uid) or customer
            else:
                s.add(customer)
                emails[email] = uid
                report.count("customers")
            customers[uid] = customer
            wallet = {pm["id"]: _method(pm, uid) for pm in user.get("payment_methods", {}).values()}
            wallets[uid] = wallet
            new = [m for mid, m in wallet.items() if mid not in have_methods]
            s.add_all(new)
            report.count("payment_methods", len(new))
        s.flush()
        for raw in data["orders"].values():
            oid = order_id(raw["order_id"])
            owner = customers.get(str(raw["user_id"]))
            if owner is None:
                report.conflicts.append(f"order {oid}: its user {raw['user_id']} was skipped")
                continue
            if oid in have_orders:
                report.seen("orders")
                continue
            for item in raw.get("items", []):  # items of products the dump doesn't list
                if str(item["item_id"]) not in have_skus:
                    have_skus.add(str(item["item_id"]))
                    s.add(Product(sku=str(item["item_id"]), name=item["name"],
                                  category=item["name"].lower(), price_cents=_cents(item["price"]),
                                  options=item.get("options") or {}))  # fmt: skip
                    report.count("products")
            order = _order(raw, owner, wallets[owner.id], midnight)
            s.add(order)
            have_orders.add(oid)
            report.count("orders")
            report.count("order_items", len(order.items))
            report.count("payments", len(order.payments))
            report.count("refunds", len(order.refunds))
    return report
