"""Ledger accounts and the bank's chart of accounts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

_CODE = re.compile(r"^\d{4}(?:-[A-Z0-9]{2,12})?$")


class AccountType(Enum):
    """The five kinds of account in double-entry bookkeeping."""

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def normal_side(self) -> str:
        """'debit' when debits increase this kind of account, else 'credit'."""
        if self in (AccountType.ASSET, AccountType.EXPENSE):
            return "debit"
        return "credit"


class DuplicateAccountError(ValueError):
    """Raised when an account code is added twice."""


class UnknownAccountError(KeyError):
    """Raised when an account code is not in the chart."""


@dataclass
class LedgerAccount:
    """One account in the general ledger, for example '2000-ACC1042' for a customer deposit."""

    code: str
    name: str
    type: AccountType
    currency: str = "GBP"
    parent_code: str | None = None
    closed: bool = False

    def signed_balance(self, debits: Decimal, credits: Decimal) -> Decimal:
        """Balance in the direction that increases this kind of account."""
        if self.type.normal_side == "debit":
            return debits - credits
        return credits - debits

    def close(self, balance: Decimal) -> None:
        """Close the account; only a zero balance may be closed."""
        if balance != 0:
            raise ValueError(f"account {self.code} has a balance of {balance} and cannot be closed")
        self.closed = True

    @property
    def is_customer_account(self) -> bool:
        """True for sub-accounts of customer deposits (codes '2000-...')."""
        return self.code.startswith("2000-")


class ChartOfAccounts:
    """All ledger accounts of the bank, keyed by code."""

    def __init__(self, accounts: list[LedgerAccount] | None = None) -> None:
        """Create a chart, optionally with some accounts already in it."""
        self._accounts: dict[str, LedgerAccount] = {}
        for account in accounts or []:
            self.add(account)

    def add(self, account: LedgerAccount) -> LedgerAccount:
        """Add an account whose code is well-formed, new, and whose parent (if any) exists."""
        if not _CODE.match(account.code):
            raise ValueError(
                f"account code {account.code!r} must look like '2000' or '2000-ACC1042'"
            )
        if account.code in self._accounts:
            raise DuplicateAccountError(account.code)
        if account.parent_code is not None and account.parent_code not in self._accounts:
            raise UnknownAccountError(account.parent_code)
        self._accounts[account.code] = account
        return account

    def get(self, code: str) -> LedgerAccount:
        """The account with this code."""
        try:
            return self._accounts[code]
        except KeyError:
            raise UnknownAccountError(code) from None

    def children(self, code: str) -> list[LedgerAccount]:
        """Direct sub-accounts of an account, in code order."""
        self.get(code)
        found = [a for a in self._accounts.values() if a.parent_code == code]
        return sorted(found, key=lambda a: a.code)

    def by_type(self, account_type: AccountType) -> list[LedgerAccount]:
        """All open accounts of one type, in code order."""
        found = [a for a in self._accounts.values() if a.type is account_type and not a.closed]
        return sorted(found, key=lambda a: a.code)

    def open_customer_account(
        self, account_ref: str, name: str, currency: str = "GBP"
    ) -> LedgerAccount:
        """Add a customer deposit sub-account under '2000' for a bank account reference."""
        if "2000" not in self._accounts:
            raise UnknownAccountError("2000")
        code = f"2000-{account_ref.upper()}"
        account = LedgerAccount(code, name, AccountType.LIABILITY, currency, parent_code="2000")
        return self.add(account)

    def __contains__(self, code: object) -> bool:
        """True when the chart has an account with this code."""
        return code in self._accounts

    def __iter__(self) -> Iterator[LedgerAccount]:
        """Accounts in code order."""
        return iter(sorted(self._accounts.values(), key=lambda a: a.code))

    def __len__(self) -> int:
        """Number of accounts."""
        return len(self._accounts)


def default_chart(currency: str = "GBP") -> ChartOfAccounts:
    """The standard chart used by the payments platform."""
    return ChartOfAccounts(
        [
            LedgerAccount("1000", "Cash at central bank", AccountType.ASSET, currency),
            LedgerAccount("1100", "Payment scheme settlement", AccountType.ASSET, currency),
            LedgerAccount("2000", "Customer deposits", AccountType.LIABILITY, currency),
            LedgerAccount("3000", "Retained earnings", AccountType.EQUITY, currency),
            LedgerAccount("4000", "Fee income", AccountType.INCOME, currency),
            LedgerAccount("5000", "Scheme charges", AccountType.EXPENSE, currency),
        ]
    )
