"""Acme Bank ledger: money, double-entry journal, payment schedules, fees and statements."""

from ledger.accounts import AccountType, ChartOfAccounts, LedgerAccount, default_chart
from ledger.fees import FeeRule, apply_fee, fee_for_payment
from ledger.journal import Journal, JournalEntry, Posting, Side, UnbalancedEntryError
from ledger.money import CurrencyMismatchError, Money, parse_money
from ledger.schedule import Frequency, OrderStatus, StandingOrder, payment_dates
from ledger.statements import Statement, build_statement

__all__ = [
    "AccountType",
    "ChartOfAccounts",
    "CurrencyMismatchError",
    "FeeRule",
    "Frequency",
    "Journal",
    "JournalEntry",
    "LedgerAccount",
    "Money",
    "OrderStatus",
    "Posting",
    "Side",
    "StandingOrder",
    "Statement",
    "UnbalancedEntryError",
    "apply_fee",
    "build_statement",
    "default_chart",
    "fee_for_payment",
    "parse_money",
    "payment_dates",
]
__version__ = "0.3.0"
