"""Which order lines a customer's words name, on the demo shop and on an imported τ store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tools.items import (
    ItemMatch,
    describe_line,
    describe_lines,
    match_items,
    product_name,
    whole_order,
)
from tools.schemas import ItemView, OrderView
from tools.store.catalog import CATALOG

DEMO_NAMES = [c.name for c in CATALOG]
TAU_NAMES = [
    "Water Bottle", "Office Chair", "Headphones", "Vacuum Cleaner", "Tea Kettle",
    "Electric Kettle", "Wireless Earbuds", "Laptop", "Smart Watch", "Wristwatch", "T-Shirt",
    "Sunglasses", "Bluetooth Speaker", "Sneakers",
]  # fmt: skip


def _item(sku: str, name: str, cents: int, quantity: int = 1, **options: str) -> ItemView:
    return ItemView(sku=sku, name=name, quantity=quantity, unit_price_cents=cents, options=options)


def _order(*items: ItemView, order_id: str = "#W2611340") -> OrderView:
    return OrderView(
        id=order_id,
        customer_id="james_li_5688",
        status="delivered",
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
        shipped_at=None,
        delivered_at=None,
        tracking_number=None,
        carrier=None,
        shipping_address="James Li, 215 River Road, Suite 991, New York, NY 10083, USA",
        total_cents=sum(i.unit_price_cents * i.quantity for i in items),
        items=list(items),
        payments=[],
        refunds=[],
        invoices=[],
    )


BLUE_BOTTLE = _item(
    "6469567736", "Water Bottle (1000ml, glass, blue)", 4784,
    capacity="1000ml", material="glass", color="blue",
)  # fmt: skip
CHAIR = _item(
    "8426249116", "Office Chair (fabric, black, fixed, standard)", 48881,
    material="fabric", color="black", armrest="fixed", **{"backrest height": "standard"},
)  # fmt: skip
RED_BOTTLE = _item(
    "7533802601", "Water Bottle (750ml, plastic, red)", 2000,
    capacity="750ml", material="plastic", color="red",
)  # fmt: skip
TAU = _order(BLUE_BOTTLE, CHAIR, RED_BOTTLE)

# Imported lines before views carried `options`: the options are only in the name.
HEADPHONES = _item("1646531091", "Headphones (over-ear, wireless, blue)", 25214)
VACUUM = _item("4602305039", "Vacuum Cleaner (robotic, bagged, cordless)", 65298)
TEA_KETTLE = _item("9747045638", "Tea Kettle (glass, 1 liter, gas)", 9401)
ELECTRIC_KETTLE = _item("2698416822", "Electric Kettle (2L, plastic, silver)", 14999)
WRISTWATCH = _item("1355937109", "Wristwatch (leather, black)", 19886)
TSHIRT = _item("9354168549", "T-Shirt (blue, M, cotton, crew neck)", 4661)
TAU_MIXED = _order(
    HEADPHONES, VACUUM, TEA_KETTLE, ELECTRIC_KETTLE, WRISTWATCH, TSHIRT, order_id="#W7342738"
)

HP = _item("NW-HP-100", "Aurora Wireless Headphones", 12900)
BOTTLES = _item("NW-BTL-520", "Hydra Insulated Bottle", 2900, quantity=2)
MOUSE = _item("NW-MS-410", "Glide Wireless Mouse", 4900)
GIFT = _item("NW-GC-050", "Northwind Gift Card $50", 5000)
DEMO = _order(HP, BOTTLES, MOUSE, GIFT, order_id="W4520484")


def _said(found: ItemMatch) -> tuple[list[str], list[list[str]], list[str]]:
    """What the bot would act on: line names, the choices it would offer, missing names."""
    return (
        [i.name for i in found.lines],
        [[i.name for i in group] for group in found.ambiguous],
        list(found.missing),
    )


def _lines(order: OrderView, text: str, known: list[str] | None = None) -> list[ItemView]:
    found = match_items(order, text, known_names=known or [])
    assert not found.ambiguous, found
    return list(found.lines)


@pytest.mark.parametrize(
    ("order", "text", "expected"),
    [
        (TAU, "I'd like to return the Office Chair", [CHAIR]),
        (TAU, "the chair", [CHAIR]),
        (TAU, "The CHAIR is wobbly", [CHAIR]),
        (TAU, "the office chairs", [CHAIR]),
        (TAU_MIXED, "the headphones from W7342738 are not what I expected", [HEADPHONES]),
        (TAU_MIXED, "the headphone", [HEADPHONES]),
        (TAU_MIXED, "the vacuum", [VACUUM]),
        (TAU_MIXED, "the tea kettle", [TEA_KETTLE]),
        (TAU_MIXED, "the electric kettle", [ELECTRIC_KETTLE]),
        (TAU_MIXED, "the watch", [WRISTWATCH]),
        (TAU_MIXED, "the t-shirt", [TSHIRT]),
        (TAU_MIXED, "the tshirt", [TSHIRT]),
        (TAU_MIXED, "the shirt", [TSHIRT]),
        (DEMO, "the headphones from W4520484 are not what I expected", [HP]),
        (DEMO, "return the bottle", [BOTTLES]),
        (DEMO, "the bottles", [BOTTLES]),
        (DEMO, "the aurora headphones", [HP]),
        (DEMO, "the mouse", [MOUSE]),
        (DEMO, "the wireless headphones", [HP]),
        (DEMO, "the gift card", [GIFT]),
    ],
)
def test_match_items_product_words_name_the_orders_line(order, text, expected):
    assert _lines(order, text) == expected


@pytest.mark.parametrize(
    ("order", "text", "expected"),
    [
        (TAU_MIXED, "headphnes", [HEADPHONES]),
        (TAU_MIXED, "the hedaphones", [HEADPHONES]),
        (TAU_MIXED, "the vaccum cleaner", [VACUUM]),
        (TAU, "the chiar", [CHAIR]),
        (DEMO, "headphnes", [HP]),
        (DEMO, "the botle", [BOTTLES]),
    ],
)
def test_match_items_one_typo_in_a_long_word_still_matches(order, text, expected):
    assert _lines(order, text) == expected


def test_match_items_short_words_and_inflected_words_are_no_typos():
    charger = _order(_item("NW-CHG-110", "VoltGo 65W USB-C Charger", 3900))
    assert not match_items(charger, "I was charged twice").named
    assert not match_items(TAU, "the char").named  # 4 letters: too short to guess


def test_match_items_sku_and_item_id_name_their_line():
    assert _lines(DEMO, "refund NW-HP-100 please") == [HP]
    assert _lines(DEMO, "nw-btl-520") == [BOTTLES]
    assert _lines(TAU, "item 8426249116 is broken") == [CHAIR]
    assert _lines(TAU, "6469567736 and 7533802601") == [BLUE_BOTTLE, RED_BOTTLE]


def test_match_items_same_product_twice_is_ambiguous_not_a_guess():
    for text in ("return the Water Bottle from #W2611340", "the bottle", "the water bottle"):
        assert _said(match_items(TAU, text)) == ([], [[BLUE_BOTTLE.name, RED_BOTTLE.name]], [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the blue water bottle", BLUE_BOTTLE),
        ("the water bottle in red", RED_BOTTLE),
        ("the 1000ml bottle", BLUE_BOTTLE),
        ("the 750 ml bottle", RED_BOTTLE),
        ("the glass bottle", BLUE_BOTTLE),
        ("the blue one", BLUE_BOTTLE),
        ("the 1000ml one", BLUE_BOTTLE),
        ("the one in red", RED_BOTTLE),
        ("Water Bottle (750ml, plastic, red)", RED_BOTTLE),
        ("the second water bottle", RED_BOTTLE),
        ("the first bottle", BLUE_BOTTLE),
    ],
)
def test_match_items_options_choose_between_lines_of_one_product(text, expected):
    assert _lines(TAU, text) == [expected]


def test_match_items_options_read_from_the_name_when_the_view_has_none():
    assert HEADPHONES.options == {}
    assert _lines(TAU_MIXED, "the 2L kettle") == [ELECTRIC_KETTLE]
    assert _lines(TAU_MIXED, "the 1 liter kettle") == [TEA_KETTLE]
    assert _lines(TAU_MIXED, "the gas one") == [TEA_KETTLE]


def test_match_items_an_option_both_lines_share_stays_ambiguous():
    green = _item("1111111111", "Water Bottle (500ml, glass, green)", 2500)
    order = _order(BLUE_BOTTLE, green)
    found = match_items(order, "the glass water bottle")
    assert _said(found) == ([], [[BLUE_BOTTLE.name, green.name]], [])


def test_match_items_two_products_in_order_of_mention():
    text = (
        "I'd like to return the Headphones (over-ear, wireless, blue) and the "
        "Vacuum Cleaner (robotic, bagged, cordless)"
    )
    assert _lines(TAU_MIXED, text) == [HEADPHONES, VACUUM]
    assert _lines(TAU_MIXED, "the vacuum cleaner and the headphones") == [VACUUM, HEADPHONES]
    assert _lines(TAU, "the office chair and the red water bottle") == [CHAIR, RED_BOTTLE]


def test_match_items_no_repeats():
    assert _lines(DEMO, "the headphones, NW-HP-100, the aurora headphones") == [HP]


def test_match_items_a_later_phrase_settles_the_question():
    assert _said(match_items(TAU, "the water bottle. The blue one")) == (
        [BLUE_BOTTLE.name],
        [],
        [],
    )


def test_match_items_plural_or_both_names_every_line_of_the_product():
    assert _lines(TAU, "the bottles") == [BLUE_BOTTLE, RED_BOTTLE]
    assert _lines(TAU, "both water bottles") == [BLUE_BOTTLE, RED_BOTTLE]
    assert _lines(TAU_MIXED, "the kettles") == [TEA_KETTLE, ELECTRIC_KETTLE]


def test_match_items_kettle_fits_two_products_equally():
    found = match_items(TAU_MIXED, "the kettle")
    assert _said(found) == ([], [[TEA_KETTLE.name, ELECTRIC_KETTLE.name]], [])


def test_match_items_weak_words_alone_need_a_pointer():
    assert not match_items(DEMO, "it doesn't pair, it's wireless").named
    assert _said(match_items(DEMO, "the wireless one")) == ([], [[HP.name, MOUSE.name]], [])


def test_match_items_identical_lines_are_one_choice():
    twin = _item("8590708195", "Fleece Jacket (XL, navy, half)", 15761)
    order = _order(twin, CHAIR, twin)
    assert _lines(order, "the fleece jacket") == [twin]
    assert match_items(order, "the fleece jacket").lines[0] is order.items[0]


@pytest.mark.parametrize(
    ("order", "text", "expected"),
    [
        (TAU, "the first item", BLUE_BOTTLE),
        (TAU, "the second item", CHAIR),
        (TAU, "the third one", RED_BOTTLE),
        (TAU, "the last one", RED_BOTTLE),
        (TAU, "the last item please", RED_BOTTLE),
        (TAU, "item 2", CHAIR),
        (TAU, "item #3", RED_BOTTLE),
        (TAU, "#2 item", CHAIR),
        (TAU, "the 2nd item", CHAIR),
        (DEMO, "the fourth line", GIFT),
    ],
)
def test_match_items_ordinals_count_the_orders_lines(order, text, expected):
    assert _lines(order, text) == [expected]


def test_match_items_ordinal_past_the_end_names_nothing():
    assert not match_items(TAU, "the fifth item").named
    assert not match_items(TAU, "item 0").named


def test_match_items_the_second_one_counts_within_the_question():
    assert _lines(TAU, "the water bottle, the second one") == [RED_BOTTLE]


@pytest.mark.parametrize(
    "text",
    [
        "I want a refund for my order W123",
        "I want a refund for my order #W2611340",
        "Where is my package?",
        "I'd like to return it",
        "return the item",
        "the product is not what I expected",
        "one thing: the stuff arrived late",
        "I want my money back for this purchase",
        "Yes please go ahead",
        "Can I change the shipping address to 12 Oak Lane, Austin, TX 78704?",
        "I was charged twice",
        "my card was declined",
        "I ordered from Northwind",
        "my phone won't connect",
        "I watch videos on it",
        "the box was black and wet",
        "first, tell me the status",
        "the last time I ordered it came late",
    ],
)
def test_match_items_generic_words_name_nothing(text):
    for order in (TAU, TAU_MIXED, DEMO):
        assert match_items(order, text, known_names=TAU_NAMES + DEMO_NAMES) == ItemMatch()


def test_match_items_order_ids_amounts_dates_and_emails_name_nothing():
    ten = _order(_item("2222222222", "Hiking Boots (10, leather, yes)", 21000))
    text = "Order #W2611340, paid $47.84 on 2026-03-10, mail bottle.chair@example.com, size 10"
    assert not match_items(TAU, text).named
    assert not match_items(ten, "I paid 10.00 on 3/10 for order W1000010").named


def test_match_items_missing_names_a_catalogue_product_the_order_lacks():
    found = match_items(TAU, "the headphones are broken", known_names=TAU_NAMES)
    assert _said(found) == ([], [], ["Headphones"])
    found = match_items(DEMO, "I'd like to return the earbuds", known_names=DEMO_NAMES)
    assert _said(found) == ([], [], ["Aurora Earbuds"])
    found = match_items(TAU_MIXED, "the smart watch", known_names=TAU_NAMES)
    assert _said(found) == ([], [], ["Smart Watch"])
    assert found.named


def test_match_items_missing_needs_the_catalogue_and_a_name_said_exactly():
    assert not match_items(TAU, "the headphones are broken").named
    assert not match_items(TAU, "the headphnes", known_names=TAU_NAMES).named


def test_match_items_the_orders_line_wins_over_a_catalogue_cousin():
    assert _lines(TAU_MIXED, "the watch", TAU_NAMES) == [WRISTWATCH]
    assert _lines(TAU_MIXED, "the wireless headphones", TAU_NAMES) == [HEADPHONES]
    found = match_items(TAU_MIXED, "the chair and the vacuum", known_names=TAU_NAMES)
    assert _said(found) == ([VACUUM.name], [], ["Office Chair"])


@pytest.mark.parametrize(
    "text",
    ["refund everything", "all items please", "all of them", "the whole order", "every item"],
)
def test_match_items_whole_order_names_nothing(text):
    assert whole_order(text)
    assert match_items(TAU, text) == ItemMatch()


def test_match_items_everything_except_names_the_rest():
    assert not whole_order("everything except the chair")
    assert _lines(TAU, "everything except the chair") == [BLUE_BOTTLE, RED_BOTTLE]
    assert _lines(TAU, "all but the red bottle") == [BLUE_BOTTLE, CHAIR]


def test_whole_order_everything_else_is_not_the_whole_order():
    text = "the chair arrived broken but everything else is fine"
    assert not whole_order(text)
    assert _lines(TAU, text) == [CHAIR]


def test_product_name_drops_the_options():
    assert product_name(BLUE_BOTTLE) == "Water Bottle"
    assert product_name("Office Chair (fabric, black, fixed, standard)") == "Office Chair"
    assert product_name(GIFT) == "Northwind Gift Card $50"


def test_describe_line_shows_options_price_and_quantity():
    assert describe_line(BLUE_BOTTLE) == "Water Bottle (1000ml, glass, blue), $47.84"
    assert describe_line(BOTTLES) == "2 × Hydra Insulated Bottle, $29.00 each"
    assert describe_lines([BLUE_BOTTLE, CHAIR]) == (
        "Water Bottle (1000ml, glass, blue), $47.84; "
        "Office Chair (fabric, black, fixed, standard), $488.81"
    )
    assert describe_lines([]) == ""
