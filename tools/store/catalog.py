"""The demo shop's product catalogue, shared by the seed, the help centre and the NLU."""

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


CATALOG: tuple[CatalogItem, ...] = (
    CatalogItem("NW-HP-100", "Aurora Wireless Headphones", "electronics", 12900),
    CatalogItem("NW-EB-120", "Aurora Earbuds", "electronics", 8900),
    CatalogItem("NW-SPK-200", "Pulse Bluetooth Speaker", "electronics", 7900),
    CatalogItem("NW-WT-300", "Stride Fitness Watch", "electronics", 19900),
    CatalogItem("NW-CHG-110", "VoltGo 65W USB-C Charger", "accessories", 3900),
    CatalogItem("NW-KB-400", "Glide Mechanical Keyboard", "electronics", 10900),
    CatalogItem("NW-MS-410", "Glide Wireless Mouse", "electronics", 4900),
    CatalogItem("NW-CAM-600", "Lumen Action Camera", "electronics", 29900),
    CatalogItem("NW-LMP-700", "Halo Desk Lamp", "home", 5900),
    CatalogItem("NW-BAG-500", "Trailhead Backpack 28L", "outdoor", 8900),
    CatalogItem("NW-TNT-510", "Summit 2-Person Tent", "outdoor", 24900),
    CatalogItem("NW-BTL-520", "Hydra Insulated Bottle", "outdoor", 2900),
    CatalogItem("NW-GC-050", "Northwind Gift Card $50", "gift_card", 5000, refundable=False),
)

SKUS: dict[str, CatalogItem] = {item.sku: item for item in CATALOG}
