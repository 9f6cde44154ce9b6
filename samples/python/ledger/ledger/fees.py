"""Payment fees: flat, percentage, capped and tiered charges."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ledger.money import Money, quantize


@dataclass(frozen=True)
class FeeRule:
    """A fee of a fixed part plus a rate, kept between an optional minimum and maximum."""

    name: str
    fixed: Decimal = Decimal(0)
    rate: Decimal = Decimal(0)
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    def fee_for(self, amount: Money) -> Money:
        """The fee charged on a payment of the given amount."""
        fee = self.fixed + amount.amount * self.rate
        if self.minimum is not None:
            fee = max(fee, self.minimum)
        if self.maximum is not None:
            fee = min(fee, self.maximum)
        return Money(fee, amount.currency)


@dataclass(frozen=True)
class Tier:
    """One band of a tiered fee: the rate charged on the part of the amount up to a limit."""

    up_to: Decimal | None
    rate: Decimal


FEE_SCHEDULE: dict[str, FeeRule] = {
    "faster_payment": FeeRule("Faster Payment"),
    "standing_order": FeeRule("Standing order"),
    "chaps": FeeRule("Same-day CHAPS", fixed=Decimal("25.00")),
    "international": FeeRule(
        "International transfer",
        fixed=Decimal("2.00"),
        rate=Decimal("0.005"),
        minimum=Decimal("5.00"),
        maximum=Decimal("40.00"),
    ),
}


def fee_for_payment(payment_type: str, amount: Money) -> Money:
    """Look up the fee rule for a payment type and apply it."""
    rule = FEE_SCHEDULE.get(payment_type)
    if rule is None:
        raise KeyError(f"no fee rule for payment type {payment_type!r}")
    return rule.fee_for(amount)


def apply_fee(amount: Money, rule: FeeRule) -> tuple[Money, Money]:
    """The total to debit (amount plus fee) and the fee itself."""
    if amount.is_negative() or amount.is_zero():
        raise ValueError("fees apply to positive amounts only")
    fee = rule.fee_for(amount)
    return amount + fee, fee


def tiered_fee(amount: Money, tiers: Iterable[Tier]) -> Money:
    """Charge each tier's rate on the slice of the amount that falls inside the tier."""
    remaining = amount.amount
    lower = Decimal(0)
    fee = Decimal(0)
    for tier in tiers:
        upper = tier.up_to if tier.up_to is not None else lower + remaining
        band = min(remaining, upper - lower)
        if band <= 0:
            break
        fee += band * tier.rate
        remaining -= band
        lower = upper
    return Money(fee, amount.currency)


def convert_with_markup(
    amount: Money, target_currency: str, mid_rate: Decimal, markup: Decimal = Decimal("0.0125")
) -> Money:
    """Convert at the mid-market rate less the bank's markup (a fraction such as 0.0125)."""
    if mid_rate <= 0:
        raise ValueError("exchange rate must be positive")
    customer_rate = mid_rate * (Decimal(1) - markup)
    converted = amount.amount * customer_rate
    return Money(quantize(converted, target_currency), target_currency)


def overdraft_charges(
    daily_balances: Iterable[Money], daily_fee: Money, monthly_cap: Money
) -> Money:
    """Daily fee for each overdrawn day of a month, never more than the monthly cap."""
    overdrawn_days = sum(1 for balance in daily_balances if balance.is_negative())
    charge = daily_fee.times(overdrawn_days)
    if monthly_cap < charge:
        return monthly_cap
    return charge
