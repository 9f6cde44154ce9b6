from decimal import Decimal

import pytest

from ledger.fees import (
    FeeRule,
    Tier,
    apply_fee,
    convert_with_markup,
    fee_for_payment,
    overdraft_charges,
    tiered_fee,
)
from ledger.money import Money


def test_fee_for_applies_minimum_and_maximum():
    rule = FeeRule(
        "International",
        fixed=Decimal("2"),
        rate=Decimal("0.005"),
        minimum=Decimal("5"),
        maximum=Decimal("40"),
    )
    assert rule.fee_for(Money("100")) == Money("5.00")
    assert rule.fee_for(Money("2000")) == Money("12.00")
    assert rule.fee_for(Money("50000")) == Money("40.00")


def test_fee_for_payment_looks_up_the_schedule():
    assert fee_for_payment("chaps", Money("10000")) == Money("25.00")
    assert fee_for_payment("standing_order", Money("850")).is_zero()


def test_fee_for_payment_unknown_type():
    with pytest.raises(KeyError):
        fee_for_payment("carrier_pigeon", Money("1"))


def test_apply_fee_returns_total_and_fee():
    total, fee = apply_fee(Money("200"), FeeRule("Flat", fixed=Decimal("1.50")))
    assert total == Money("201.50")
    assert fee == Money("1.50")


def test_apply_fee_rejects_zero_amount():
    with pytest.raises(ValueError, match="positive"):
        apply_fee(Money("0"), FeeRule("Flat", fixed=Decimal("1")))


def test_tiered_fee_charges_each_band():
    tiers = [
        Tier(Decimal("1000"), Decimal("0.01")),
        Tier(Decimal("5000"), Decimal("0.005")),
        Tier(None, Decimal("0.001")),
    ]
    assert tiered_fee(Money("500"), tiers) == Money("5.00")
    assert tiered_fee(Money("7000"), tiers) == Money("32.00")


def test_convert_with_markup_uses_target_minor_units():
    assert convert_with_markup(Money("100"), "JPY", Decimal("190.40")) == Money("18802", "JPY")
    assert convert_with_markup(Money("100"), "EUR", Decimal("1.17"), markup=Decimal("0")) == Money(
        "117", "EUR"
    )


def test_convert_with_markup_rejects_bad_rate():
    with pytest.raises(ValueError):
        convert_with_markup(Money("1"), "EUR", Decimal("0"))


def test_overdraft_charges_are_capped():
    balances = [Money("-10")] * 25 + [Money("5")] * 5
    assert overdraft_charges(balances[:3], Money("1.00"), Money("20.00")) == Money("3.00")
    assert overdraft_charges(balances, Money("1.00"), Money("20.00")) == Money("20.00")
