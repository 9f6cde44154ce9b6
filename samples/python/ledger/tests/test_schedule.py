from datetime import date

import pytest

from ledger.money import Money
from ledger.schedule import (
    Frequency,
    OrderStatus,
    StandingOrder,
    add_months,
    advance,
    is_business_day,
    payment_dates,
    roll_forward,
)

EASTER_2026 = {date(2026, 4, 3), date(2026, 4, 6)}


def rent_order(**overrides):
    fields = dict(
        order_id="SO-1",
        account_id="ACC1042",
        payee_name="Oakwood Lettings",
        amount=Money("850"),
        frequency=Frequency.MONTHLY,
        start_date=date(2026, 1, 31),
    )
    fields.update(overrides)
    return StandingOrder(**fields)


def test_payments_per_year():
    assert Frequency.FORTNIGHTLY.payments_per_year == 26
    assert Frequency.QUARTERLY.payments_per_year == 4


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_add_months_restores_anchor_day():
    assert add_months(date(2026, 2, 28), 1, anchor_day=31) == date(2026, 3, 31)
    assert add_months(date(2026, 11, 30), 2, anchor_day=30) == date(2027, 1, 30)


def test_advance_weekly_and_quarterly():
    assert advance(date(2026, 3, 2), Frequency.WEEKLY) == date(2026, 3, 9)
    assert advance(date(2026, 11, 30), Frequency.QUARTERLY, 30) == date(2027, 2, 28)


def test_is_business_day_excludes_weekends_and_holidays():
    assert is_business_day(date(2026, 3, 2))
    assert not is_business_day(date(2026, 2, 28))
    assert not is_business_day(date(2026, 4, 3), EASTER_2026)


def test_roll_forward_over_easter():
    assert roll_forward(date(2026, 4, 3), EASTER_2026) == date(2026, 4, 7)


def test_payment_dates_by_count_roll_weekends():
    dates = payment_dates(date(2026, 1, 31), Frequency.MONTHLY, count=3)
    assert dates == [date(2026, 2, 2), date(2026, 3, 2), date(2026, 3, 31)]


def test_payment_dates_until_end_date():
    dates = payment_dates(date(2026, 3, 2), Frequency.FORTNIGHTLY, end=date(2026, 4, 13))
    assert len(dates) == 4


def test_payment_dates_needs_a_limit():
    with pytest.raises(ValueError, match="never stops"):
        payment_dates(date(2026, 3, 2), Frequency.WEEKLY)


def test_next_payment_on_or_after_respects_pause():
    order = rent_order()
    order.pause(until=date(2026, 5, 1), today=date(2026, 3, 10))
    order.resume()
    assert order.next_payment_on_or_after(date(2026, 3, 10)) == date(2026, 5, 31)


def test_next_payment_on_or_after_end_date_is_none():
    order = rent_order(end_date=date(2026, 3, 15))
    assert order.next_payment_on_or_after(date(2026, 3, 1)) is None


def test_is_due_only_on_scheduled_day():
    order = rent_order()
    assert order.is_due(date(2026, 2, 28))
    assert not order.is_due(date(2026, 3, 1))


def test_pause_rejects_date_in_the_past():
    with pytest.raises(ValueError, match="future"):
        rent_order().pause(until=date(2026, 3, 1), today=date(2026, 3, 10))


def test_resume_requires_paused_order():
    with pytest.raises(ValueError, match="only a paused order"):
        rent_order().resume()


def test_cancel_twice_is_an_error():
    order = rent_order()
    order.cancel()
    assert order.status is OrderStatus.CANCELLED
    with pytest.raises(ValueError, match="already ended"):
        order.cancel()


def test_annual_cost_of_weekly_order():
    order = rent_order(amount=Money("12.50"), frequency=Frequency.WEEKLY)
    assert order.annual_cost() == Money("650.00")
    order.cancel()
    assert order.annual_cost().is_zero()
