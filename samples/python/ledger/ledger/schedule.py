"""Payment schedules for standing orders: frequencies, business days and order state."""

from __future__ import annotations

import calendar
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from ledger.money import Money


class Frequency(Enum):
    """How often a standing order pays."""

    WEEKLY = "WEEKLY"
    FORTNIGHTLY = "FORTNIGHTLY"
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    ANNUALLY = "ANNUALLY"

    @property
    def payments_per_year(self) -> int:
        """Number of payments a year at this frequency."""
        per_year = {"WEEKLY": 52, "FORTNIGHTLY": 26, "MONTHLY": 12, "QUARTERLY": 4, "ANNUALLY": 1}
        return per_year[self.value]


class OrderStatus(Enum):
    """Lifecycle of a standing order."""

    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"


def add_months(day: date, months: int, anchor_day: int | None = None) -> date:
    """Move by whole months, keeping the anchor day or the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    wanted = anchor_day or day.day
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(wanted, last))


def advance(day: date, frequency: Frequency, anchor_day: int | None = None) -> date:
    """The next date in a series one period after the given date."""
    if frequency is Frequency.WEEKLY:
        return day + timedelta(weeks=1)
    if frequency is Frequency.FORTNIGHTLY:
        return day + timedelta(weeks=2)
    months = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.ANNUALLY: 12}[frequency]
    return add_months(day, months, anchor_day)


def is_business_day(day: date, holidays: Collection[date] = ()) -> bool:
    """True on weekdays that are not bank holidays."""
    if day.weekday() >= 5:
        return False
    return day not in holidays


def roll_forward(day: date, holidays: Collection[date] = ()) -> date:
    """The date itself if it is a business day, else the next business day."""
    current = day
    while not is_business_day(current, holidays):
        current += timedelta(days=1)
    return current


def payment_dates(
    start: date,
    frequency: Frequency,
    *,
    count: int | None = None,
    end: date | None = None,
    holidays: Collection[date] = (),
) -> list[date]:
    """Execution dates of a series, rolled to business days; needs a count, an end date or both."""
    if count is None and end is None:
        raise ValueError("give a count or an end date, or the series never stops")
    dates: list[date] = []
    scheduled = start
    while (count is None or len(dates) < count) and (end is None or scheduled <= end):
        dates.append(roll_forward(scheduled, holidays))
        scheduled = advance(scheduled, frequency, start.day)
    return dates


@dataclass
class StandingOrder:
    """A recurring payment from an account to a payee."""

    order_id: str
    account_id: str
    payee_name: str
    amount: Money
    frequency: Frequency
    start_date: date
    end_date: date | None = None
    status: OrderStatus = OrderStatus.ACTIVE
    paused_until: date | None = None

    def next_payment_on_or_after(self, day: date) -> date | None:
        """First scheduled date on or after the given day, or None once the order has ended."""
        if self.status in (OrderStatus.CANCELLED, OrderStatus.COMPLETED):
            return None
        earliest = max(day, self.paused_until) if self.paused_until else day
        scheduled = self.start_date
        while scheduled < earliest:
            scheduled = advance(scheduled, self.frequency, self.start_date.day)
        if self.end_date is not None and scheduled > self.end_date:
            return None
        return scheduled

    def is_due(self, day: date) -> bool:
        """True when an active order pays on exactly this scheduled date."""
        if self.status is not OrderStatus.ACTIVE:
            return False
        return self.next_payment_on_or_after(day) == day

    def pause(self, until: date, today: date) -> None:
        """Pause an active order until (not including) a future date."""
        if self.status is not OrderStatus.ACTIVE:
            raise ValueError(f"only an active order can be paused, this one is {self.status.value}")
        if until <= today:
            raise ValueError("the pause must end in the future")
        self.status = OrderStatus.PAUSED
        self.paused_until = until

    def resume(self) -> None:
        """Resume a paused order; payments restart after the pause date already set."""
        if self.status is not OrderStatus.PAUSED:
            raise ValueError(f"only a paused order can be resumed, this one is {self.status.value}")
        self.status = OrderStatus.ACTIVE

    def cancel(self) -> None:
        """Cancel the order for good."""
        if self.status in (OrderStatus.CANCELLED, OrderStatus.COMPLETED):
            raise ValueError(f"order {self.order_id} has already ended")
        self.status = OrderStatus.CANCELLED
        self.paused_until = None

    def annual_cost(self) -> Money:
        """What the order pays in a full year, zero once it has ended."""
        if self.status in (OrderStatus.CANCELLED, OrderStatus.COMPLETED):
            return Money.zero(self.amount.currency)
        return self.amount.times(self.frequency.payments_per_year)
