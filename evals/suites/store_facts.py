"""A read-only snapshot of a store's orders, customers and catalogue: what script bindings
pick from.

The StoreBackend protocol answers per customer and per order, and does not expose the
catalogue's variants or a customer's default address; binding picks need all orders at
once and both of those, so this reads the store's tables directly (SqlStore only). It is
taken once per store template: every run's fresh store is a byte copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from tools.schemas import payment_label
from tools.store.models import Customer, Order, OrderItem, Product
from tools.store.views import ACTIVE_REFUND


@dataclass(frozen=True)
class Variant:
    """One product row: a variant of the product its `group` names."""

    sku: str
    name: str
    options: dict[str, str]
    price_cents: int
    available: bool


@dataclass(frozen=True)
class Line:
    """One line of an order, with the product it is a variant of."""

    sku: str
    name: str
    """The line's full name: 'Trail Running Shoes (9, slate, mesh)'."""
    product: str
    """The product's name without options: 'Trail Running Shoes'."""
    group: str
    """The product the line is a variant of (its group id, else its own SKU)."""
    options: dict[str, str]
    price_cents: int
    quantity: int


@dataclass(frozen=True)
class Method:
    """A saved payment method: its kind (card, paypal, gift_card) and customer-facing label."""

    kind: str
    label: str


@dataclass(frozen=True)
class CustomerFacts:
    id: str
    name: str
    email: str
    zip_code: str
    address: str
    methods: tuple[Method, ...]


@dataclass(frozen=True)
class OrderFacts:
    id: str
    customer: str
    status: str
    lines: tuple[Line, ...]
    total_cents: int
    address: str
    tracking: str | None
    payment: str
    """Label of the method the order was paid with ('' when no payment is recorded)."""
    refunded_cents: int


@dataclass(frozen=True)
class StoreFacts:
    """Every order (by id), every customer and every product group of one store."""

    orders: tuple[OrderFacts, ...]
    customers: dict[str, CustomerFacts]
    groups: dict[str, tuple[Variant, ...]]

    @classmethod
    def read(cls, engine: Engine) -> StoreFacts:
        with Session(engine) as s:
            products = s.scalars(select(Product).order_by(Product.sku)).all()
            customers = s.scalars(
                select(Customer).options(selectinload(Customer.payment_methods))
            ).all()
            orders = s.scalars(
                select(Order)
                .order_by(Order.id)
                .options(
                    selectinload(Order.items).selectinload(OrderItem.product),
                    selectinload(Order.payments),
                    selectinload(Order.refunds),
                )
            ).all()
            groups: dict[str, list[Variant]] = {}
            for p in products:
                groups.setdefault(p.group_id or p.sku, []).append(
                    Variant(p.sku, p.name, _options(p.options), p.price_cents, p.available)
                )
            return cls(
                orders=tuple(_order(o) for o in orders),
                customers={c.id: _customer(c) for c in customers},
                groups={g: tuple(v) for g, v in groups.items()},
            )

    @classmethod
    def of_file(cls, path: Path) -> StoreFacts:
        """The snapshot of the SQLite store at `path`."""
        engine = create_engine(f"sqlite:///{path}")
        try:
            return cls.read(engine)
        finally:
            engine.dispose()


def _options(raw: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _line(row: OrderItem) -> Line:
    product = row.product
    return Line(
        sku=row.sku,
        name=row.name,
        product=product.name if product else row.name,
        group=(product.group_id or product.sku) if product else row.sku,
        options=_options(product.options if product else None),
        price_cents=row.unit_price_cents,
        quantity=row.quantity,
    )


def _order(row: Order) -> OrderFacts:
    paid = row.payments[0] if row.payments else None
    return OrderFacts(
        id=row.id,
        customer=row.customer_id,
        status=row.status,
        lines=tuple(_line(i) for i in row.items),
        total_cents=row.total_cents,
        address=row.shipping_address,
        tracking=row.tracking_number,
        payment=payment_label(paid.method, paid.brand, paid.last4) if paid else "",
        refunded_cents=sum(r.amount_cents for r in row.refunds if r.status in ACTIVE_REFUND),
    )


def _customer(row: Customer) -> CustomerFacts:
    return CustomerFacts(
        id=row.id,
        name=row.name,
        email=row.email,
        zip_code=row.zip_code,
        address=row.address or "",
        methods=tuple(
            Method(m.method, payment_label(m.method, m.brand, m.last4)) for m in row.payment_methods
        ),
    )


def default_address(engine: Engine, customer_id: str) -> str | None:
    """The customer's default shipping address (None: no such customer)."""
    with Session(engine) as s:
        row = s.get(Customer, customer_id)
        return (row.address or "") if row else None
