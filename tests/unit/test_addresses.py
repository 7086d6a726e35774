"""Addresses read from customers' messages keep every field they gave, the country included."""

from __future__ import annotations

import doctest

import pytest

import tools.addresses
from tools.addresses import Address, find_address, with_recipient

TAU_CURRENT = "James Li, 215 River Road, Suite 991, New York, NY 10083, USA"


def test_addresses_doctests_hold():
    assert doctest.testmod(tools.addresses).failed == 0


SUNSET = "986 Sunset Drive, Suite 259, Denver, CO 80279"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (SUNSET, SUNSET),
        (f"{SUNSET}, USA", f"{SUNSET}, USA"),
        (f"{SUNSET} USA", f"{SUNSET}, USA"),
        (f"{SUNSET}, US", f"{SUNSET}, USA"),
        (f"{SUNSET}, U.S.A.", f"{SUNSET}, USA"),
        (f"{SUNSET.lower()}, united states", f"{SUNSET}, USA"),
        ("1 Elm St, Austin, TX 78704, Mexico", "1 Elm St, Austin, TX 78704, Mexico"),
        ("100 Queen St, Toronto, ON M5H 2N2, Canada", "100 Queen St, Toronto, ON M5H 2N2, Canada"),
        ("100 queen st w, toronto, on m5h2n2", "100 Queen St W, Toronto, ON M5H 2N2"),
        ("10 Downing St, London SW1A 2AA, UK", "10 Downing St, London SW1A 2AA, United Kingdom"),
    ],
)  # fmt: skip
def test_find_address_keeps_the_country_the_customer_gave(text, line):
    assert find_address(text).line() == line


def test_find_address_reads_a_tau_store_address_with_its_suite_line():
    found = find_address(TAU_CURRENT)
    assert found == Address(
        street="215 River Road",
        line2="Suite 991",
        city="New York",
        state="NY",
        zip_code="10083",
        country="USA",
    )
    assert found.line() == TAU_CURRENT.removeprefix("James Li, ")


def test_find_address_keeps_zip_plus_four():
    found = find_address("986 Sunset Drive, Denver, CO 80279-1234")
    assert found.zip_code == "80279-1234"
    assert found.line() == "986 Sunset Drive, Denver, CO 80279-1234"


def test_find_address_tidies_lower_case_input():
    found = find_address("215 river road, apt 4b, new york, ny 10083, usa")
    assert found.line() == "215 River Road, Apt 4b, New York, NY 10083, USA"


@pytest.mark.parametrize(
    "text",
    [
        "please send order #W2611340 to 986 sunset drive, suite 259, denver, co 80279, usa instead",
        "change the address of order 12345 to 986 Sunset Drive, Suite 259, Denver, CO 80279, USA.",
        "Hi! New address: 986 Sunset Drive, Suite 259, Denver, CO 80279, USA thanks a lot",
    ],
)
def test_find_address_inside_a_longer_sentence(text):
    assert find_address(text).line() == f"{SUNSET}, USA"


def test_find_address_a_lowercase_us_is_a_word_not_a_country():
    assert find_address("12 Oak Lane, Austin, TX 78704 for us").country is None


@pytest.mark.parametrize(
    "text",
    [
        "986 Sunset Drive, Denver",
        "986 Sunset Drive, Denver, CO",
        "Sunset Drive, Denver, CO 80279",
        "Denver, CO 80279, USA",
        "986 Sunset Drive, Denver, ZZ 80279",
        "986 Sunset Drive, Denver, CO 8027",
        "please change my address",
    ],
)
def test_find_address_incomplete_addresses_are_none(text):
    assert find_address(text) is None


def test_with_recipient_keeps_the_name_and_the_country_on_file():
    new = find_address("2 Oak St, Dallas, TX 75201").line()
    assert with_recipient(TAU_CURRENT, new) == "James Li, 2 Oak St, Dallas, TX 75201, USA"


def test_with_recipient_takes_the_country_the_customer_named():
    new = find_address("2 Oak St, Dallas, TX 75201, United States").line()
    assert with_recipient(TAU_CURRENT, new) == "James Li, 2 Oak St, Dallas, TX 75201, USA"
    canada = find_address("100 Queen St W, Toronto, ON M5H 2N2, Canada").line()
    assert with_recipient(TAU_CURRENT, canada) == (
        "James Li, 100 Queen St W, Toronto, ON M5H 2N2, Canada"
    )


def test_with_recipient_adds_no_us_country_to_a_foreign_postcode():
    canada = find_address("100 Queen St W, Toronto, ON M5H 2N2").line()
    assert with_recipient(TAU_CURRENT, canada) == "James Li, 100 Queen St W, Toronto, ON M5H 2N2"


def test_with_recipient_adds_no_country_where_none_was_on_file():
    current = "Jordan Rivera, 1 Elm St, Austin, TX 78704"
    assert with_recipient(current, "12 Oak Lane, Portland, OR 97205") == (
        "Jordan Rivera, 12 Oak Lane, Portland, OR 97205"
    )
