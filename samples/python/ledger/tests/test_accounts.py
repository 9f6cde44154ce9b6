from decimal import Decimal

import pytest

from ledger.accounts import (
    AccountType,
    ChartOfAccounts,
    DuplicateAccountError,
    LedgerAccount,
    UnknownAccountError,
    default_chart,
)


def test_normal_side_of_each_type():
    assert AccountType.ASSET.normal_side == "debit"
    assert AccountType.EXPENSE.normal_side == "debit"
    assert AccountType.LIABILITY.normal_side == "credit"
    assert AccountType.INCOME.normal_side == "credit"


def test_signed_balance_follows_normal_side():
    deposits = LedgerAccount("2000", "Customer deposits", AccountType.LIABILITY)
    cash = LedgerAccount("1000", "Cash", AccountType.ASSET)
    assert deposits.signed_balance(Decimal("10"), Decimal("150")) == Decimal("140")
    assert cash.signed_balance(Decimal("10"), Decimal("150")) == Decimal("-140")


def test_close_requires_zero_balance():
    account = LedgerAccount("5000", "Scheme charges", AccountType.EXPENSE)
    with pytest.raises(ValueError):
        account.close(Decimal("0.01"))
    account.close(Decimal("0"))
    assert account.closed


def test_add_rejects_duplicate_code():
    chart = default_chart()
    with pytest.raises(DuplicateAccountError):
        chart.add(LedgerAccount("1000", "Cash again", AccountType.ASSET))


def test_add_rejects_malformed_code():
    with pytest.raises(ValueError, match="must look like"):
        ChartOfAccounts().add(LedgerAccount("10", "Too short", AccountType.ASSET))


def test_add_requires_existing_parent():
    with pytest.raises(UnknownAccountError):
        ChartOfAccounts().add(
            LedgerAccount("2000-ACC1", "Orphan", AccountType.LIABILITY, parent_code="2000")
        )


def test_get_unknown_code_raises():
    with pytest.raises(UnknownAccountError):
        default_chart().get("9999")


def test_open_customer_account_nests_under_deposits():
    chart = default_chart()
    account = chart.open_customer_account("acc1042", "Current account 1042")
    assert account.code == "2000-ACC1042"
    assert account.is_customer_account
    assert chart.children("2000") == [account]


def test_by_type_skips_closed_accounts():
    chart = default_chart()
    chart.get("5000").close(Decimal(0))
    assert chart.by_type(AccountType.EXPENSE) == []
    assert [a.code for a in chart.by_type(AccountType.ASSET)] == ["1000", "1100"]


def test_default_chart_has_one_account_per_role():
    chart = default_chart("EUR")
    assert len(chart) == 6
    assert "4000" in chart
    assert {a.currency for a in chart} == {"EUR"}
