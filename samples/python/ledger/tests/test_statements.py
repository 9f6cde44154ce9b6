from datetime import date
from decimal import Decimal

import pytest

from ledger.accounts import default_chart
from ledger.journal import Journal
from ledger.money import Money
from ledger.statements import StatementLine, build_statement, group_by_month, opening_balance

ACCOUNT = "2000-ACC1042"


@pytest.fixture
def journal():
    chart = default_chart()
    chart.open_customer_account("ACC1042", "Current account 1042")
    chart.open_customer_account("ACC2077", "Savings account 2077")
    book = Journal(chart)
    book.transfer("JE-1", date(2026, 2, 27), "1000", ACCOUNT, Money("1000"), "Salary February")
    book.transfer("JE-2", date(2026, 3, 2), ACCOUNT, "2000-ACC2077", Money("150"), "SO Savings")
    book.transfer("JE-3", date(2026, 3, 15), ACCOUNT, "1100", Money("850"), "SO Oakwood Lettings")
    book.transfer("JE-4", date(2026, 3, 27), "1000", ACCOUNT, Money("1000"), "Salary March")
    return book


def test_opening_balance_is_previous_day_balance(journal):
    assert opening_balance(journal, ACCOUNT, date(2026, 3, 1)) == Money("1000.00")
    assert opening_balance(journal, ACCOUNT, date(2026, 3, 3)) == Money("850.00")


def test_build_statement_running_balance(journal):
    statement = build_statement(journal, ACCOUNT, date(2026, 3, 1), date(2026, 3, 31))
    assert [line.balance for line in statement.lines] == [
        Decimal("850.00"),
        Decimal("0.00"),
        Decimal("1000.00"),
    ]
    assert statement.closing == Decimal("1000.00")


def test_build_statement_rejects_reversed_period(journal):
    with pytest.raises(ValueError):
        build_statement(journal, ACCOUNT, date(2026, 3, 31), date(2026, 3, 1))


def test_closing_without_movements_is_opening(journal):
    statement = build_statement(journal, ACCOUNT, date(2026, 4, 1), date(2026, 4, 30))
    assert statement.lines == []
    assert statement.closing == Decimal("1000.00")


def test_totals_split_money_in_and_out(journal):
    statement = build_statement(journal, ACCOUNT, date(2026, 3, 1), date(2026, 3, 31))
    assert statement.totals() == (Money("1000"), Money("1000"))


def test_render_shows_lines_and_totals(journal):
    text = build_statement(journal, ACCOUNT, date(2026, 3, 1), date(2026, 3, 31)).render()
    assert text.splitlines()[0] == "Statement 2000-ACC1042 01 Mar 2026 to 31 Mar 2026"
    assert "SO Oakwood Lettings" in text
    assert text.splitlines()[-1].endswith("1000.00")


def test_group_by_month_orders_keys():
    lines = [
        StatementLine(date(2026, 4, 2), "b", Decimal(0), Decimal(1), Decimal(-1)),
        StatementLine(date(2026, 3, 30), "a", Decimal(1), Decimal(0), Decimal(1)),
    ]
    groups = group_by_month(lines)
    assert list(groups) == ["2026-03", "2026-04"]
    assert groups["2026-04"][0].description == "b"
