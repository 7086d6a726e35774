"""The demo shop's product catalogue, shared by the seed, the help centre and the NLU.

`CATALOG` is what the demo orders are drawn from and what the NLU learns product names
from; its order and contents are part of the seed, so they never change. Some products
come in variants (colour, size, capacity): the variant of a `CATALOG` item and its
siblings in `VARIANTS` share a `group_id`, and an exchange swaps one for another.
"""

from __future__ import annotations

from dataclasses import dataclass

SHOP_NAME = "Northwind Supply"


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name: str
    category: str
    price_cents: int
    refundable: bool = True
    group_id: str | None = None
    """Products with one group_id are options of one product (exchanges stay inside it)."""
    options: dict[str, str] | None = None
    """What sets this variant apart: {"color": "blue"}, {"size": "M"}."""
    available: bool = True


CATALOG: tuple[CatalogItem, ...] = (
    CatalogItem("NW-HP-100", "Aurora Wireless Headphones", "electronics", 12900,
                group_id="NW-HP", options={"color": "black"}),
    CatalogItem("NW-EB-120", "Aurora Earbuds", "electronics", 8900,
                group_id="NW-EB", options={"color": "black"}),
    CatalogItem("NW-SPK-200", "Pulse Bluetooth Speaker", "electronics", 7900),
    CatalogItem("NW-WT-300", "Stride Fitness Watch", "electronics", 19900,
                group_id="NW-WT", options={"size": "M"}),
    CatalogItem("NW-CHG-110", "VoltGo 65W USB-C Charger", "accessories", 3900),
    CatalogItem("NW-KB-400", "Glide Mechanical Keyboard", "electronics", 10900),
    CatalogItem("NW-MS-410", "Glide Wireless Mouse", "electronics", 4900),
    CatalogItem("NW-CAM-600", "Lumen Action Camera", "electronics", 29900),
    CatalogItem("NW-LMP-700", "Halo Desk Lamp", "home", 5900),
    CatalogItem("NW-BAG-500", "Trailhead Backpack 28L", "outdoor", 8900,
                group_id="NW-BAG", options={"color": "grey"}),
    CatalogItem("NW-TNT-510", "Summit 2-Person Tent", "outdoor", 24900),
    CatalogItem("NW-BTL-520", "Hydra Insulated Bottle", "outdoor", 2900,
                group_id="NW-BTL", options={"capacity": "500ml", "color": "blue"}),
    CatalogItem("NW-GC-050", "Northwind Gift Card $50", "gift_card", 5000, refundable=False),
)  # fmt: skip

# The other options of the products above; never drawn into seeded orders.
VARIANTS: tuple[CatalogItem, ...] = (
    CatalogItem("NW-HP-101", "Aurora Wireless Headphones", "electronics", 12900,
                group_id="NW-HP", options={"color": "blue"}),
    CatalogItem("NW-HP-102", "Aurora Wireless Headphones", "electronics", 12900,
                group_id="NW-HP", options={"color": "white"}),
    CatalogItem("NW-EB-121", "Aurora Earbuds", "electronics", 8900,
                group_id="NW-EB", options={"color": "white"}),
    CatalogItem("NW-EB-122", "Aurora Earbuds", "electronics", 9400,
                group_id="NW-EB", options={"color": "sand"}),
    CatalogItem("NW-WT-301", "Stride Fitness Watch", "electronics", 19900,
                group_id="NW-WT", options={"size": "S"}),
    CatalogItem("NW-WT-302", "Stride Fitness Watch", "electronics", 20900,
                group_id="NW-WT", options={"size": "L"}),
    CatalogItem("NW-BAG-501", "Trailhead Backpack 28L", "outdoor", 8900,
                group_id="NW-BAG", options={"color": "green"}),
    CatalogItem("NW-BAG-502", "Trailhead Backpack 28L", "outdoor", 8900,
                group_id="NW-BAG", options={"color": "navy"}),
    CatalogItem("NW-BTL-521", "Hydra Insulated Bottle", "outdoor", 2900,
                group_id="NW-BTL", options={"capacity": "500ml", "color": "green"}),
    CatalogItem("NW-BTL-522", "Hydra Insulated Bottle", "outdoor", 3400,
                group_id="NW-BTL", options={"capacity": "750ml", "color": "blue"}),
    CatalogItem("NW-BTL-523", "Hydra Insulated Bottle", "outdoor", 3400,
                group_id="NW-BTL", options={"capacity": "750ml", "color": "green"},
                available=False),
)  # fmt: skip

PRODUCTS: tuple[CatalogItem, ...] = CATALOG + VARIANTS
"""Every product row the demo store holds."""

SKUS: dict[str, CatalogItem] = {item.sku: item for item in PRODUCTS}
