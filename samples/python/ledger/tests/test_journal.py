from datetime import date
from decimal import Decimal

import pytest

from ledger.accounts import default_chart
from ledger.journal import Journal, JournalEntry, Posting, Side, UnbalancedEntryError
from ledger.money import Money


@pytest.fixture
def journal():
    chart = default_chart()
    chart.open_customer_account("ACC1042", "Current account 1042")
    chart.open_customer_account("ACC2077", "Savings account 2077")
    return Journal(chart)


def entry(entry_id, *postings, booked_on=date(2026, 3, 2)):
    return JournalEntry(entry_id, booked_on, "test entry", list(postings))


def test_signed_is_negative_for_credits():
    assert Posting("1000", Side.DEBIT, Money("5")).signed() == Decimal("5.00")
    assert Posting("1000", Side.CREDIT, Money("5")).signed() == Decimal("-5.00")


def test_totals_adds_each_side():
    e = entry(
        "JE-1", Posting("1000", Side.DEBIT, Money("30")), Posting("2000", Side.CREDIT, Money("30"))
    )
    assert e.totals() == (Decimal("30.00"), Decimal("30.00"))


def test_is_balanced_false_for_empty_entry():
    assert not entry("JE-0").is_balanced()


def test_problems_lists_every_issue():
    e = entry("JE-2", Posting("1000", Side.DEBIT, Money("10", "EUR")))
    problems = e.problems()
    assert "an entry needs at least two postings" in problems
    assert any(p.startswith("debits") for p in problems)


def test_reversal_swaps_sides():
    e = entry(
        "JE-3", Posting("1000", Side.DEBIT, Money("8")), Posting("4000", Side.CREDIT, Money("8"))
    )
    reversed_entry = e.reversal("JE-3R", date(2026, 3, 3))
    assert [p.side for p in reversed_entry.postings] == [Side.CREDIT, Side.DEBIT]
    assert reversed_entry.reverses == "JE-3"


def test_post_rejects_unbalanced_entry(journal):
    unbalanced = entry(
        "JE-4", Posting("1000", Side.DEBIT, Money("10")), Posting("2000", Side.CREDIT, Money("9"))
    )
    with pytest.raises(UnbalancedEntryError, match="do not equal"):
        journal.post(unbalanced)
    assert len(journal) == 0


def test_post_rejects_unknown_account(journal):
    e = entry(
        "JE-5", Posting("1000", Side.DEBIT, Money("1")), Posting("7777", Side.CREDIT, Money("1"))
    )
    with pytest.raises(UnbalancedEntryError, match="unknown account 7777"):
        journal.post(e)


def test_post_rejects_duplicate_entry_id(journal):
    journal.transfer("JE-6", date(2026, 3, 2), "1000", "2000-ACC1042", Money("50"), "Cash deposit")
    with pytest.raises(UnbalancedEntryError, match="already posted"):
        journal.transfer(
            "JE-6", date(2026, 3, 2), "1000", "2000-ACC1042", Money("50"), "Cash deposit"
        )


def test_transfer_moves_money_between_customers(journal):
    journal.transfer("JE-7", date(2026, 3, 1), "1000", "2000-ACC1042", Money("500"), "Salary")
    journal.transfer(
        "JE-8", date(2026, 3, 2), "2000-ACC1042", "2000-ACC2077", Money("120"), "Standing order"
    )
    assert journal.balance("2000-ACC1042") == Money("380.00")
    assert journal.balance("2000-ACC2077") == Money("120.00")
    assert journal.balance("1000") == Money("500.00")


def test_reverse_only_once(journal):
    journal.transfer("JE-9", date(2026, 3, 2), "1000", "2000-ACC1042", Money("75"), "Deposit")
    journal.reverse("JE-9", "JE-9R", date(2026, 3, 3))
    assert journal.balance("2000-ACC1042") == Money("0")
    with pytest.raises(UnbalancedEntryError, match="already reversed"):
        journal.reverse("JE-9", "JE-9R2", date(2026, 3, 4))


def test_balance_as_of_ignores_later_entries(journal):
    journal.transfer("JE-10", date(2026, 3, 1), "1000", "2000-ACC1042", Money("40"), "Deposit")
    journal.transfer("JE-11", date(2026, 3, 5), "1000", "2000-ACC1042", Money("60"), "Deposit")
    assert journal.balance("2000-ACC1042", as_of=date(2026, 3, 4)) == Money("40.00")


def test_entries_for_filters_by_account_and_dates(journal):
    journal.transfer("JE-12", date(2026, 3, 1), "1000", "2000-ACC1042", Money("10"), "A")
    journal.transfer("JE-13", date(2026, 3, 9), "1000", "2000-ACC2077", Money("10"), "B")
    journal.transfer("JE-14", date(2026, 3, 20), "1000", "2000-ACC1042", Money("10"), "C")
    found = journal.entries_for("2000-ACC1042", start=date(2026, 3, 2))
    assert [e.entry_id for e in found] == ["JE-14"]


def test_trial_balance_sums_to_zero(journal):
    journal.transfer("JE-15", date(2026, 3, 1), "1000", "2000-ACC1042", Money("300"), "Deposit")
    journal.transfer(
        "JE-16", date(2026, 3, 2), "2000-ACC1042", "4000", Money("2.50"), "Monthly fee"
    )
    trial = journal.trial_balance()
    assert trial == {
        "1000": Decimal("300.00"),
        "2000-ACC1042": Decimal("-297.50"),
        "4000": Decimal("-2.50"),
    }
    assert sum(trial.values()) == 0
