"""Product names and variants matched against a catalogue given as records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlu.catalog_match import CatalogMatcher, CatalogRecord, demo_catalog
from nlu.entities import extract_entities
from tools.schemas import ProductView

STORE = Path(__file__).resolve().parents[2] / "evals" / "data" / "tau_store.json"

RECORDS = [
    CatalogRecord("hp-1", "Headphones", {"type": "over-ear", "connectivity": "wireless",
                                         "color": "blue"}, "hp"),
    CatalogRecord("hp-2", "Headphones", {"type": "in-ear", "connectivity": "wireless",
                                         "color": "blue"}, "hp"),
    CatalogRecord("hp-3", "Headphones", {"type": "over-ear", "connectivity": "wired",
                                         "color": "black"}, "hp"),
    CatalogRecord("cam-1", "Action Camera", {"resolution": "4K", "waterproof": "yes"}, "cam"),
    CatalogRecord("cam-2", "Action Camera", {"resolution": "4K", "waterproof": "no"}, "cam"),
    CatalogRecord("ts-m", "T-Shirt", {"color": "red", "size": "M"}, "ts"),
    CatalogRecord("ts-l", "T-Shirt", {"color": "red", "size": "L"}, "ts"),
    CatalogRecord("sg-1", "Sunglasses", {"lens": "polarized", "frame": "metal"}, "sg"),
    CatalogRecord("sg-2", "Sunglasses", {"lens": "non-polarized", "frame": "metal"}, "sg"),
    CatalogRecord("db-1", "Dumbbell Set", {"weight range": "55-75 lbs"}, "db"),
    CatalogRecord("db-2", "Dumbbell Set", {"weight range": "5-25 lbs"}, "db"),
    CatalogRecord("kettle", "Tea Kettle", {"material": "glass"}, "tk"),
]  # fmt: skip
CATALOG = CatalogMatcher(RECORDS)


def found(text: str, catalog: CatalogMatcher = CATALOG) -> list[tuple[str, str, str]]:
    return [
        (e.type, e.value, text[e.start : e.end])
        for e in extract_entities(text, catalog=catalog)
        if e.type in ("sku", "product")
    ]


@pytest.mark.parametrize(
    ("text", "item", "span"),
    [
        ("Headphones (over-ear, wireless, blue) arrived", "hp-1",
         "Headphones (over-ear, wireless, blue)"),
        ("the headphones (blue, wireless, in-ear) broke", "hp-2",
         "headphones (blue, wireless, in-ear)"),
        ("return the blue wireless over-ear headphones please", "hp-1", "headphones"),
        ("the black headphones", "hp-3", "headphones"),  # the one black variant
        ("the headphones in blue, in-ear", "hp-2", "headphones in blue, in-ear"),
        ("two red t shirts in size L", "ts-l", "t shirts in size L"),
        ("The T-Shirts (L, red)", "ts-l", "T-Shirts (L, red)"),
        ("a tshirt, size: M", "ts-m", "tshirt, size: M"),
        ("the waterproof 4K ACTION CAMERA", "cam-1", "ACTION CAMERA"),
        ("Sunglasses (non-polarized, metal)", "sg-2", "Sunglasses (non-polarized, metal)"),
        ("Sunglasses (polarized, metal)", "sg-1", "Sunglasses (polarized, metal)"),
        ("the dumbbell set (55 - 75lbs)", "db-1", "dumbbell set (55 - 75lbs)"),
        ("my tea kettle is cracked", "kettle", "tea kettle"),  # one variant: resolved
        ("my tea kettles are cracked", "kettle", "tea kettles"),
    ],
)  # fmt: skip
def test_name_and_options_resolve_the_variant(text, item, span):
    assert found(text) == [("sku", item, span)]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("my headphones are broken", "headphones"),
        ("the blue headphones", "headphones"),  # two blue variants
        ("Headphones (the ones I bought)", "Headphones"),  # no option in the parentheses
    ],
)
def test_a_name_without_a_variant_is_a_product(text, span):
    assert found(text) == [("product", "Headphones", span)]


def test_no_product_in_ordinary_words():
    assert found("set my address to the new one, I watch the kettle") == []


def test_a_misspelt_name_of_two_words_is_matched():
    assert found("the actoin camera (4K, waterproof)") == [
        ("sku", "cam-1", "actoin camera (4K, waterproof)")
    ]


def test_the_demo_catalogue_is_the_default():
    text = "I got the aurora wireless headphones and a white Aurora Wireless Headphones"
    assert [(e.type, e.value) for e in extract_entities(text) if e.type == "sku"] == [
        ("sku", "NW-HP-100"),  # the name alone: the variant the catalogue lists
        ("sku", "NW-HP-102"),  # the white one
    ]
    assert demo_catalog() is demo_catalog()


def test_a_name_less_its_brand_only_where_it_names_one_product():
    catalog = CatalogMatcher(
        [
            CatalogRecord("a", "Aurora Earbuds"),
            CatalogRecord("b", "Aurora Speaker"),
            CatalogRecord("c", "Electric Kettle"),
            CatalogRecord("d", "Tea Kettle"),
            CatalogRecord("e", "Halo Desk Lamp"),
        ]
    )
    assert found("the earbuds and the desk lamp", catalog) == [
        ("sku", "a", "earbuds"),
        ("sku", "e", "desk lamp"),
    ]
    assert found("the kettle", catalog) == []  # two kettles: no guess


def test_matchers_from_store_products_and_a_tau_dump():
    views = [
        ProductView(sku="9", name="Yoga Mat", category="yoga mat", price_cents=1,
                    options={"color": "blue"}, group_id="p"),
        ProductView(sku="8", name="Yoga Mat", category="yoga mat", price_cents=1,
                    options={"color": "green"}, group_id="p"),
    ]  # fmt: skip
    assert found("a green yoga mat", CatalogMatcher.from_products(views)) == [
        ("sku", "8", "yoga mat")
    ]
    db = json.loads(STORE.read_text(encoding="utf-8"))
    catalog = CatalogMatcher.from_tau(db)
    product = next(iter(db["products"].values()))
    item_id, variant = next(iter(product["variants"].items()))
    text = f"where is my {product['name']} ({', '.join(variant['options'].values())})?"
    assert [(kind, value) for kind, value, _span in found(text, catalog)] == [("sku", item_id)]


def test_the_service_matches_its_stores_own_catalogue(tmp_path):
    from app.runtime import build_catalog
    from tools.store.backend import SqlStore
    from tools.store.db import create_schema, make_engine
    from tools.store.tau_import import import_tau, read_dump

    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    create_schema(engine)
    store = SqlStore(engine)
    assert build_catalog(store) is None  # no product yet: the demo catalogue serves
    db = read_dump(STORE)
    import_tau(engine, db)
    catalog = build_catalog(store)
    assert catalog is not None
    product = next(iter(db["products"].values()))
    item_id, variant = next(iter(product["variants"].items()))
    text = f"the {product['name']} ({', '.join(variant['options'].values())}) broke"
    assert [value for _kind, value, _span in found(text, catalog)] == [item_id]
    broken = SqlStore(make_engine(f"sqlite:///{tmp_path / 'missing' / 'no.sqlite'}"))
    assert build_catalog(broken) is None
