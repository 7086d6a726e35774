"""How customers name products, for the {product} slot of the corpus seeds.

Half the mentions name the demo catalogue (tools/store/catalog.py), which the entity
extractor resolves to a SKU; the rest name everyday products the catalogue does not hold
("Water Bottle (1000ml, glass, blue)", "the black sneakers"), the way customers of any
shop write them. Seeing many product words under every intent teaches the classifier that
the product is not what tells a refund from an exchange: the verbs around it are.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from tools.store.catalog import CATALOG

CATALOG_SHARE = 0.45
"""Share of mentions that name a catalogue product (and so carry a sku entity)."""

GENERIC_PRODUCTS: dict[str, tuple[str, ...]] = {
    "T-Shirt": ("red, XL", "navy, cotton, M", "white, S, v-neck"),
    "Water Bottle": ("1000ml, glass, blue", "750ml, stainless steel, green", "500ml, plastic"),
    "Office Chair": ("mesh, black, adjustable arms", "leather, brown"),
    "Laptop": ("15-inch, 16GB RAM, i7", "13-inch, 8GB RAM, 512GB SSD"),
    "Sneakers": ("size 9, white, leather", "size 11, black, canvas"),
    "Wristwatch": ("leather strap, silver dial", "metal strap, black dial"),
    "Coffee Maker": ("drip, 12 cups, black", "single serve, red"),
    "Vacuum Cleaner": ("robotic, bagged, cordless", "upright, bagless, corded"),
    "Hiking Boots": ("size 10, leather, waterproof", "size 8, synthetic"),
    "Yoga Mat": ("6mm, PVC, green", "4mm, TPE, purple"),
    "Electric Kettle": ("1.5L, stainless steel", "1L, glass, white"),
    "Gaming Mouse": ("wireless, RGB, black", "wired, white"),
    "Smart Watch": ("black, 44mm, GPS", "silver, 40mm, LTE"),
    "Jigsaw Puzzle": ("1000 pieces, landscape", "500 pieces, animals"),
    "Skateboard": ("maple, 31 inch, red", "bamboo, 28 inch"),
    "Garden Hose": ("50ft, rubber, green", "25ft, vinyl"),
    "Air Purifier": ("large room, HEPA filter", "small room, white"),
    "Cycling Helmet": ("size L, blue", "size M, matte black"),
    "Makeup Kit": ("professional, 24 pieces", "travel size"),
    "Tablet": ("10-inch, 128GB, Wi-Fi", "8-inch, 64GB, cellular"),
    "E-Reader": ("6-inch, 8GB", "7-inch, waterproof"),
    "Headphones": ("over-ear, wireless, blue", "on-ear, wired, black", "in-ear, white"),
    "Pet Bed": ("large, fleece, grey", "small, memory foam"),
    "Running Shoes": ("size 7, pink", "size 12, black, wide"),
    "Fleece Jacket": ("XL, navy, full zip", "S, red, half zip"),
    "Sunglasses": ("polarized, black frame", "aviator, gold"),
    "Portable Charger": ("20000mAh, black", "10000mAh, white"),
    "Electric Toothbrush": ("rechargeable, blue", "sonic, white"),
    "Smartphone": ("128GB, black", "256GB, silver"),
    "Luggage Set": ("3 pieces, hard shell, green", "2 pieces, soft, grey"),
    "Espresso Machine": ("manual, stainless steel", "capsule, black"),
    "Bookshelf": ("oak, 5 shelves", "white, 3 shelves"),
    "Dumbbell Set": ("adjustable, 5-25 lb", "fixed, rubber coated"),
    "Wall Clock": ("wooden, 12 inch", "modern, black"),
    "Patio Umbrella": ("9ft, beige", "7ft, blue"),
    "Tea Kettle": ("stovetop, red", "enamel, white"),
    "Bicycle": ("mountain, medium frame", "road, large frame"),
    "Digital Camera": ("24MP, black", "mirrorless, silver"),
    "Perfume": ("50ml, floral", "100ml, woody"),
    "Grill": ("charcoal, portable", "gas, 3 burners"),
    "Smart Thermostat": ("white, Wi-Fi",),
    "LED Light Bulb": ("pack of 4, warm white", "E27, daylight"),
    "Notebook": ("A5, dotted", "A4, lined"),
    "Indoor Security Camera": ("1080p, night vision",),
    "Winter Coat": ("M, black, hooded", "L, olive"),
    "Blender": ("1.5L, glass jar", "personal, 600W"),
    "Duvet Cover": ("king, grey", "double, white cotton"),
    "Phone Case": ("clear", "black, leather"),
}  # fmt: skip
"""Everyday products (no catalogue name inside them) and option sets a customer writes."""

LEAD_WORDS = (
    "blue", "black", "white", "red", "green", "grey", "pink", "large", "small", "medium",
    "new", "XL", "kids'",
)  # fmt: skip
"""Words a customer puts before a product name: 'the black sneakers', 'the large pet bed'."""


class Mention(NamedTuple):
    """A product as written in a message, and the catalogue SKU it names (if any)."""

    text: str
    sku: str | None
    """None for products outside the catalogue: the extractor finds no entity there."""
    start: int
    """Where the catalogue name begins in `text` (after any lead word)."""
    end: int


def catalogue_mention(rng: random.Random) -> Mention:
    """A catalogue product in full, lower case or without its brand, maybe after a colour."""
    product = rng.choice(CATALOG)
    name = product.name
    roll = rng.random()
    if roll < 0.25:
        name = name.lower()
    elif roll < 0.45:  # short form, the way people talk: "headphones", "backpack 28l"
        name = " ".join(name.split()[1:]).lower() or name
    lead = rng.choice(LEAD_WORDS) + " " if rng.random() < 0.15 else ""
    return Mention(lead + name, product.sku, len(lead), len(lead) + len(name))


def generic_mention(rng: random.Random) -> Mention:
    """An everyday product, sometimes with its options in parentheses or a lead word."""
    name, options = rng.choice(tuple(GENERIC_PRODUCTS.items()))
    roll = rng.random()
    if roll < 0.35:
        text = f"{name} ({rng.choice(options)})"
    elif roll < 0.55:
        text = f"{rng.choice(LEAD_WORDS)} {name.lower()}"
    else:
        text = name.lower() if rng.random() < 0.5 else name
    return Mention(text, None, 0, len(text))


def product_mention(rng: random.Random) -> Mention:
    """How a customer names a product: the catalogue's or any other."""
    if rng.random() < CATALOG_SHARE:
        return catalogue_mention(rng)
    return generic_mention(rng)
