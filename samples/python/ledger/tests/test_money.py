from decimal import Decimal

import pytest

from ledger.money import CurrencyMismatchError, Money, minor_units, parse_money, quantize, sum_money


def test_minor_units_by_currency():
    assert minor_units("gbp") == 2
    assert minor_units("JPY") == 0
    assert minor_units("KWD") == 3


def test_minor_units_rejects_unknown_currency():
    with pytest.raises(ValueError, match="unknown currency"):
        minor_units("XYZ")


def test_quantize_rounds_half_even():
    assert quantize(Decimal("2.345"), "GBP") == Decimal("2.34")
    assert quantize(Decimal("2.355"), "GBP") == Decimal("2.36")


def test_post_init_normalises_currency_and_scale():
    money = Money("7.5", "eur")
    assert money.currency == "EUR"
    assert str(money.amount) == "7.50"


def test_post_init_rejects_text_that_is_not_a_number():
    with pytest.raises(ValueError, match="not a number"):
        Money("seven", "GBP")


def test_add_same_currency():
    assert Money("12.40") + Money("0.60") == Money("13.00")


def test_add_rejects_other_currency():
    with pytest.raises(CurrencyMismatchError):
        Money("1.00", "GBP") + Money("1.00", "EUR")


def test_sub_can_go_negative():
    assert (Money("20.00") - Money("25.50")).is_negative()


def test_times_rounds_the_product():
    assert Money("33.33").times("0.015") == Money("0.50")


def test_allocate_spreads_leftover_pennies():
    shares = Money("100.00").allocate([1, 1, 1])
    assert shares == [Money("33.34"), Money("33.33"), Money("33.33")]
    assert sum_money(shares) == Money("100.00")


def test_allocate_by_uneven_ratios():
    assert Money("10.00").allocate([3, 1]) == [Money("7.50"), Money("2.50")]


def test_allocate_rejects_all_zero_ratios():
    with pytest.raises(ValueError):
        Money("10.00").allocate([0, 0])


def test_format_uses_symbol_or_code():
    assert Money("1234.5").format() == "£1,234.50"
    assert Money("-3", "EUR").format() == "-€3.00"
    assert Money("250", "CHF").format() == "250.00 CHF"


def test_parse_money_reads_symbols_and_codes():
    assert parse_money("£1,250.00") == Money("1250.00", "GBP")
    assert parse_money("EUR 99.9") == Money("99.90", "EUR")
    assert parse_money("15 usd") == Money("15.00", "USD")


def test_parse_money_rejects_two_currencies():
    with pytest.raises(ValueError, match="two currencies"):
        parse_money("GBP 10 EUR")


def test_sum_money_of_nothing_is_zero():
    assert sum_money([], "JPY") == Money.zero("JPY")
