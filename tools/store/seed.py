"""Deterministic demo data: customers, orders in every status, payments, invoices, refunds.

Customer C0001 ("Jordan Rivera") owns exactly six hand-picked orders, so demos and tests
can rely on them (look them up by status with `SqlStore.list_orders("C0001")`):

- pending, processing, shipped (with tracking), cancelled;
- delivered 3 days before `today` (headphones + charger: refundable, inside a 30-day window);
- delivered 45 days before `today` (keyboard: outside a 30-day window).

With the default arguments C0002 owns an order in every status too (another customer's
orders for ownership tests; asserted in tests/unit/test_store_seed.py). Everything else is
generated from `random.Random(seed)` with dates relative to `today`, so
the same arguments always write the same rows.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tools.store.catalog import CATALOG, PRODUCTS, SKUS
from tools.store.db import session_factory
from tools.store.models import (
    Base,
    Customer,
    Invoice,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Product,
    Refund,
)

FIRST = (
    "Olivia Liam Emma Noah Ava Ethan Sophia Mason Isabella Lucas Mia Aiden Amelia Elijah "
    "Harper James Evelyn Benjamin Abigail Logan Emily Henry Ella Sebastian Avery Mateo "
    "Scarlett Daniel Grace Jackson Chloe Samuel Priya Wei Fatima Diego Aisha Hiro Nadia Kofi"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Martinez Hernandez Lopez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Thompson White Harris Clark Lewis "
    "Robinson Walker Young Allen King Wright Scott Nguyen Patel Kim Chen Okafor Rossi Silva"
).split()
STREETS = (
    "Maple Ave,Oak St,Cedar Ln,Pine St,Elm St,Washington Blvd,Lake Dr,Hillcrest Rd,"
    "Sunset Blvd,Park Ave,River Rd,Highland Ave,Main St,Chestnut St,Willow Way,Mill Rd"
).split(",")
PLACES = (  # (city, state, zip, phone area code)
    ("Portland", "OR", "97205", "503"),
    ("Austin", "TX", "78704", "512"),
    ("Denver", "CO", "80203", "303"),
    ("Columbus", "OH", "43215", "614"),
    ("Raleigh", "NC", "27601", "919"),
    ("Madison", "WI", "53703", "608"),
    ("Tucson", "AZ", "85719", "520"),
    ("Richmond", "VA", "23220", "804"),
    ("Boise", "ID", "83702", "208"),
    ("Albany", "NY", "12207", "518"),
    ("Sacramento", "CA", "95814", "916"),
    ("Savannah", "GA", "31401", "912"),
    ("Burlington", "VT", "05401", "802"),
    ("Omaha", "NE", "68102", "402"),
    ("Spokane", "WA", "99201", "509"),
    ("Providence", "RI", "02903", "401"),
)
DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
# Only the brands the help centre says we accept (knowledge/demo_kb/payment-methods.md).
CARD_BRANDS = ("Visa", "Visa", "Visa", "Mastercard", "Mastercard", "American Express")
REFUND_REASONS = ("Arrived damaged", "Changed my mind", "Not as described", "Wrong item sent")
# Share of generated orders per status; each stays well above 20 at the default size.
STATUS_SHARE = {"delivered": 0.40, "shipped": 0.18, "processing": 0.14, "pending": 0.15}

# C0001's fixed orders: (status, days before today the status was reached, [(sku, qty)]).
DEMO_ORDERS = (
    ("pending", 1, [("NW-EB-120", 1)]),
    ("processing", 2, [("NW-LMP-700", 1)]),
    ("shipped", 2, [("NW-BAG-500", 1), ("NW-BTL-520", 2)]),
    ("delivered", 3, [("NW-HP-100", 1), ("NW-CHG-110", 1)]),
    ("delivered", 45, [("NW-KB-400", 1)]),
    ("cancelled", 20, [("NW-CAM-600", 1)]),
)


class _Gen:
    """Builds the rows; one instance per seeding run, all randomness from one `Random`."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.midnight = datetime.combine(today, time(0), tzinfo=UTC)
        self.addresses: dict[str, str] = {}
        self.wallets: dict[str, tuple[str, str]] = {}
        self.payment_seq = 0

    def at(self, days_ago: int) -> datetime:
        """A daytime moment `days_ago` whole days before `today` (always in the past)."""
        minutes = self.rng.randint(8 * 60, 21 * 60)
        return self.midnight - timedelta(days=days_ago) + timedelta(minutes=minutes)

    def customer(self, n: int, used_emails: set[str]) -> Customer:
        rng = self.rng
        first, last = ("Jordan", "Rivera") if n == 1 else (rng.choice(FIRST), rng.choice(LAST))
        email = f"{first}.{last}@{DOMAINS[0] if n == 1 else rng.choice(DOMAINS)}".lower()
        while email in used_emails:
            email = email.replace("@", f"{rng.randint(1, 99)}@", 1)
        used_emails.add(email)
        city, state, zip_code, area = rng.choice(PLACES)
        cid = f"C{n:04d}"
        street = f"{rng.randint(12, 9800)} {rng.choice(STREETS)}"
        self.addresses[cid] = f"{first} {last}, {street}, {city}, {state} {zip_code}"
        self.wallets[cid] = (rng.choice(CARD_BRANDS), f"{rng.randint(0, 9999):04d}")
        return Customer(
            id=cid,
            email=email,
            name=f"{first} {last}",
            phone=f"+1 {area}-555-{rng.randint(100, 199):04d}",
            zip_code=zip_code,
            created_at=self.at(rng.randint(120, 900)),
        )

    def tracking(self) -> tuple[str, str]:
        rng = self.rng
        carrier = rng.choice(("UPS", "UPS", "USPS", "FedEx"))
        if carrier == "UPS":
            shipper = "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXY0123456789", k=6))
            return carrier, f"1Z{shipper}03{rng.randint(0, 10**8 - 1):08d}"
        if carrier == "USPS":
            return carrier, f"9400{rng.randint(0, 10**18 - 1):018d}"
        return carrier, f"{rng.randint(10**11, 10**12 - 1)}"

    def order(
        self, oid: str, cid: str, status: str, days: int, lines: list[tuple[str, int]]
    ) -> Order:
        """An order with its items and payment; `days` is when `status` was reached."""
        rng = self.rng
        order = Order(id=oid, customer_id=cid, status=status, shipping_address=self.addresses[cid])
        if status in ("shipped", "delivered"):
            if status == "delivered":
                order.delivered_at = self.at(days)
                days += rng.randint(2, 5)
            order.shipped_at = self.at(days)
            order.created_at = self.at(days + rng.randint(1, 2))
            order.carrier, order.tracking_number = self.tracking()
        else:
            order.created_at = self.at(days)
        order.items = [
            OrderItem(sku=s, name=SKUS[s].name, quantity=q, unit_price_cents=SKUS[s].price_cents)
            for s, q in lines
        ]
        order.total_cents = sum(i.quantity * i.unit_price_cents for i in order.items)
        order.payments = [self.payment(cid, order)]
        return order

    def payment(self, cid: str, order: Order) -> Payment:
        rng = self.rng
        self.payment_seq += 1
        roll = rng.random()
        if roll < 0.78:
            method, (brand, last4) = "card", self.wallets[cid]
        elif roll < 0.94:
            method, brand, last4 = "paypal", "PayPal", None
        else:
            method, brand, last4 = "gift_card", "Northwind Gift Card", f"{rng.randint(0, 9999):04d}"
        return Payment(
            id=f"PAY-{self.payment_seq:06d}",
            method=method,
            brand=brand,
            last4=last4,
            amount_cents=order.total_cents,
            # A cancelled order's charge was reversed when it was cancelled.
            status="refunded" if order.status == "cancelled" else "captured",
            created_at=order.created_at,
        )

    def random_lines(self) -> list[tuple[str, int]]:
        picked = self.rng.sample(CATALOG, self.rng.choice((1, 1, 2, 2, 3, 4)))
        return [(item.sku, self.rng.choice((1, 1, 1, 2))) for item in picked]

    def random_days(self, status: str) -> int:
        spans = {"pending": (1, 2), "processing": (1, 3), "shipped": (2, 6), "cancelled": (2, 90)}
        return self.rng.randint(*spans.get(status, (1, 90)))


def _status_plan(n: int, rng: random.Random) -> list[str]:
    plan = [s for s, share in STATUS_SHARE.items() for _ in range(round(n * share))]
    plan += ["cancelled"] * (n - len(plan))
    rng.shuffle(plan)
    return plan


def _invoices(orders: list[Order]) -> list[Invoice]:
    """One paid invoice per non-cancelled order, numbered per year in issue order."""
    seq: dict[int, int] = {}
    out = []
    for order in sorted(orders, key=lambda o: (o.created_at, o.id)):
        if order.status == "cancelled":
            continue
        year = order.created_at.year
        seq[year] = seq.get(year, 0) + 1
        out.append(
            Invoice(
                id=f"INV-{year}-{seq[year]:05d}",
                order_id=order.id,
                customer_id=order.customer_id,
                amount_cents=order.total_cents,
                issued_at=order.created_at,
                status="paid",
            )
        )
    return out


def _refunds(orders: list[Order], gen: _Gen) -> list[Refund]:
    """A few refunds on other customers' delivered orders, in every refund status."""
    candidates = [
        o
        for o in orders
        if o.status == "delivered"
        and o.customer_id != "C0001"
        and o.delivered_at is not None
        and o.delivered_at > gen.midnight - timedelta(days=60)
        and all(SKUS[i.sku].refundable for i in o.items)
    ]
    statuses = ("completed", "completed", "approved", "requested", "rejected", "completed")
    refunds = []
    for status, order in zip(statuses, sorted(candidates, key=lambda o: o.id), strict=False):
        assert order.delivered_at is not None
        refunds.append(
            Refund(
                id=f"R{gen.rng.randint(10**6, 10**7 - 1)}",
                order_id=order.id,
                customer_id=order.customer_id,
                amount_cents=order.total_cents,
                status=status,
                reason=gen.rng.choice(REFUND_REASONS),
                idempotency_key=f"seed:{order.id}",
                created_at=min(order.delivered_at + timedelta(days=1), gen.midnight),
            )
        )
        if status in ("approved", "completed"):
            order.payments[0].status = "refunded"
    return refunds


def _wallets(orders: list[Order]) -> list[PaymentMethod]:
    """Each customer's saved payment methods: the distinct ones their orders were paid with.

    Links every payment to its wallet entry. Derived from the payments (no randomness), so
    the rest of the seed is unchanged by it.
    """
    wallets: dict[tuple[str, str, str | None, str | None], PaymentMethod] = {}
    for order in sorted(orders, key=lambda o: (o.customer_id, o.created_at, o.id)):
        for pay in order.payments:
            key = (order.customer_id, pay.method, pay.brand, pay.last4)
            if key not in wallets:
                n = sum(1 for k in wallets if k[0] == order.customer_id) + 1
                wallets[key] = PaymentMethod(
                    id=f"PM-{order.customer_id}-{n}",
                    customer_id=order.customer_id,
                    method=pay.method,
                    brand=pay.brand,
                    last4=pay.last4,
                    balance_cents=2500 if pay.method == "gift_card" else None,
                )
            pay.method_id = wallets[key].id
    return list(wallets.values())


def count_rows(session: Session) -> dict[str, int]:
    """Rows per seeded table, e.g. {"customers": 60, "orders": 240, ...}."""
    tables = (Customer, Product, Order, OrderItem, Payment, PaymentMethod, Invoice, Refund)
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in tables
    }


def seed_demo(
    engine: Engine,
    *,
    today: date | None = None,
    customers: int = 60,
    orders: int = 240,
    seed: int = 7,
) -> dict[str, int]:
    """Write the demo shop once and return the row counts; a store with customers is left as is.

    Example: `seed_demo(make_engine("sqlite:///data/store.sqlite"))`.
    """
    if customers < 1 or orders < len(DEMO_ORDERS):
        raise ValueError(f"need at least 1 customer and {len(DEMO_ORDERS)} orders")
    Base.metadata.create_all(engine)
    with session_factory(engine).begin() as session:
        if session.scalar(select(func.count()).select_from(Customer)):
            return count_rows(session)
        rng = random.Random(seed)
        gen = _Gen(rng, today or datetime.now(UTC).date())
        emails: set[str] = set()
        people = [gen.customer(n, emails) for n in range(1, customers + 1)]
        ids = [f"W{n}" for n in rng.sample(range(10**6, 10**7), orders)]
        rows = [gen.order(ids[i], "C0001", *spec) for i, spec in enumerate(DEMO_ORDERS)]
        others = [c.id for c in people[1:]] or ["C0001"]
        for i, status in enumerate(_status_plan(orders - len(rows), rng)):
            owner = others[i] if i < len(others) else rng.choice(others)
            days, lines = gen.random_days(status), gen.random_lines()
            rows.append(gen.order(ids[len(rows)], owner, status, days, lines))
        for item in PRODUCTS:  # variants too; none of this draws on `rng`
            session.merge(Product(**vars(item)))
        session.add_all(people)
        session.flush()
        session.add_all(_wallets(rows))
        session.flush()
        session.add_all(rows)
        session.flush()
        session.add_all(_invoices(rows))
        session.add_all(_refunds(rows, gen))
        session.flush()
        return count_rows(session)
