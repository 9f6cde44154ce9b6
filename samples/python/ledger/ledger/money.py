"""Money values in a single currency, rounded half-even to the currency's minor units."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from ledger._generated_codes import CURRENCIES

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥"}
_MONEY_TEXT = re.compile(
    r"^\s*(?P<pre>[A-Z]{3}|[£€$¥])?\s*(?P<num>-?[\d,]*\.?\d+)\s*(?P<post>[A-Z]{3})?\s*$"
)


class CurrencyMismatchError(ValueError):
    """Raised when two amounts in different currencies are combined."""


def minor_units(currency: str) -> int:
    """Number of decimal places the currency uses (2 for GBP, 0 for JPY)."""
    try:
        return CURRENCIES[currency.upper()][1]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round an amount half-even to the currency's minor units."""
    places = minor_units(currency)
    exponent = Decimal(1).scaleb(-places)
    return amount.quantize(exponent, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Money:
    """An immutable amount of money in one ISO 4217 currency."""

    amount: Decimal
    currency: str = "GBP"

    def __post_init__(self) -> None:
        """Normalise the currency code and round the amount to minor units."""
        code = self.currency.upper()
        try:
            value = self.amount if isinstance(self.amount, Decimal) else Decimal(str(self.amount))
        except InvalidOperation:
            raise ValueError(f"not a number: {self.amount!r}") from None
        object.__setattr__(self, "currency", code)
        object.__setattr__(self, "amount", quantize(value, code))

    @classmethod
    def zero(cls, currency: str = "GBP") -> Money:
        """Zero in the given currency."""
        return cls(Decimal(0), currency)

    def _same_currency(self, other: Money) -> None:
        """Raise unless the other amount is in this currency."""
        if not isinstance(other, Money):
            raise TypeError(f"expected Money, got {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        """Sum of two amounts in the same currency."""
        self._same_currency(other)
        total = self.amount + other.amount
        return Money(total, self.currency)

    def __sub__(self, other: Money) -> Money:
        """Difference of two amounts in the same currency."""
        self._same_currency(other)
        difference = self.amount - other.amount
        return Money(difference, self.currency)

    def __neg__(self) -> Money:
        """The same amount with the opposite sign."""
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        """Compare two amounts of the same currency."""
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        """Compare two amounts of the same currency."""
        self._same_currency(other)
        return self.amount <= other.amount

    def times(self, factor: Decimal | int | str) -> Money:
        """Multiply by a factor such as a rate, rounding the result half-even."""
        product = self.amount * Decimal(str(factor))
        return Money(product, self.currency)

    def allocate(self, ratios: list[int]) -> list[Money]:
        """Split by whole-number ratios into shares that add up exactly (leftovers go first)."""
        if not ratios or any(r < 0 for r in ratios) or sum(ratios) == 0:
            raise ValueError("ratios must be non-negative and not all zero")
        places = minor_units(self.currency)
        total_units = int(self.amount.scaleb(places))
        shares = [total_units * r // sum(ratios) for r in ratios]
        for i in range(total_units - sum(shares)):
            shares[i % len(shares)] += 1
        return [Money(Decimal(units).scaleb(-places), self.currency) for units in shares]

    def is_zero(self) -> bool:
        """True when the amount is exactly zero."""
        return self.amount == 0

    def is_negative(self) -> bool:
        """True when the amount is below zero."""
        return self.amount < 0

    def format(self) -> str:
        """Human-readable text such as '£1,234.50' or '-€3.00'."""
        symbol = SYMBOLS.get(self.currency)
        digits = f"{abs(self.amount):,.{minor_units(self.currency)}f}"
        sign = "-" if self.amount < 0 else ""
        if symbol is None:
            return f"{sign}{digits} {self.currency}"
        return f"{sign}{symbol}{digits}"


def parse_money(text: str, default_currency: str = "GBP") -> Money:
    """Parse '£12.50', 'EUR 1,000' or '99.99 USD' into Money."""
    match = _MONEY_TEXT.match(text.upper())
    if match is None:
        raise ValueError(f"cannot read an amount from {text!r}")
    pre, post = match.group("pre"), match.group("post")
    if pre and post:
        raise ValueError(f"two currencies in {text!r}")
    marker = pre or post
    symbol_codes = {symbol: code for code, symbol in SYMBOLS.items()}
    currency = symbol_codes.get(marker, marker) if marker else default_currency
    return Money(Decimal(match.group("num").replace(",", "")), currency)


def sum_money(amounts: Iterable[Money], currency: str = "GBP") -> Money:
    """Add up amounts of one currency; an empty iterable gives zero."""
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total
