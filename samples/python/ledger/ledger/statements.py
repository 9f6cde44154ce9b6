"""Account statements built from the journal, with running balances."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ledger.journal import Journal, Side
from ledger.money import Money


@dataclass(frozen=True)
class StatementLine:
    """One booked movement on a statement, with the balance after it."""

    booked_on: date
    description: str
    money_in: Decimal
    money_out: Decimal
    balance: Decimal


@dataclass
class Statement:
    """Movements on one account between two dates."""

    account_code: str
    start: date
    end: date
    currency: str
    opening: Decimal
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def closing(self) -> Decimal:
        """Balance after the last line, or the opening balance when nothing moved."""
        if not self.lines:
            return self.opening
        return self.lines[-1].balance

    def totals(self) -> tuple[Money, Money]:
        """Total money in and total money out over the period."""
        money_in = sum((line.money_in for line in self.lines), Decimal(0))
        money_out = sum((line.money_out for line in self.lines), Decimal(0))
        return Money(money_in, self.currency), Money(money_out, self.currency)

    def render(self) -> str:
        """Plain-text statement with one row per line and the totals underneath."""
        rows = [
            f"Statement {self.account_code} {self.start:%d %b %Y} to {self.end:%d %b %Y}",
            f"{'Opening balance':<40}{self.opening:>24}",
        ]
        for line in self.lines:
            money = f"+{line.money_in}" if line.money_in else f"-{line.money_out}"
            rows.append(
                f"{line.booked_on:%d %b}  {line.description[:32]:<32}{money:>12}{line.balance:>12}"
            )
        money_in, money_out = self.totals()
        rows.append(f"{'Money in':<40}{money_in.amount:>24}")
        rows.append(f"{'Money out':<40}{money_out.amount:>24}")
        rows.append(f"{'Closing balance':<40}{self.closing:>24}")
        return "\n".join(rows)


def opening_balance(journal: Journal, code: str, start: date) -> Money:
    """Balance at the end of the day before the statement starts."""
    if start == date.min:
        return Money.zero(journal.chart.get(code).currency)
    return journal.balance(code, as_of=start - timedelta(days=1))


def build_statement(journal: Journal, code: str, start: date, end: date) -> Statement:
    """Statement of one account from start to end inclusive."""
    if end < start:
        raise ValueError("statement end is before its start")
    account = journal.chart.get(code)
    increasing = Side.DEBIT if account.type.normal_side == "debit" else Side.CREDIT
    opening = opening_balance(journal, code, start).amount
    statement = Statement(code, start, end, account.currency, opening)
    balance = opening
    for entry in journal.entries_for(code, start, end):
        for posting in (p for p in entry.postings if p.account_code == code):
            value = posting.amount.amount
            money_in, money_out = (
                (value, Decimal(0)) if posting.side is increasing else (Decimal(0), value)
            )
            balance += money_in - money_out
            statement.lines.append(
                StatementLine(entry.booked_on, entry.description, money_in, money_out, balance)
            )
    return statement


def group_by_month(lines: list[StatementLine]) -> OrderedDict[str, list[StatementLine]]:
    """Statement lines grouped by 'YYYY-MM', in date order."""
    groups: OrderedDict[str, list[StatementLine]] = OrderedDict()
    for line in sorted(lines, key=lambda item: item.booked_on):
        key = f"{line.booked_on:%Y-%m}"
        groups.setdefault(key, []).append(line)
    return groups
