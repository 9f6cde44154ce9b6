"""Journal entries and the journal that posts them to the chart of accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum

from ledger.accounts import ChartOfAccounts
from ledger.money import Money


class Side(Enum):
    """Which column of the ledger a posting goes in."""

    DEBIT = "debit"
    CREDIT = "credit"


class UnbalancedEntryError(ValueError):
    """Raised when a journal entry cannot be posted."""


@dataclass(frozen=True)
class Posting:
    """One line of a journal entry: an amount debited or credited to one account."""

    account_code: str
    side: Side
    amount: Money

    def signed(self) -> Decimal:
        """The amount with debits positive and credits negative."""
        if self.side is Side.DEBIT:
            return self.amount.amount
        return -self.amount.amount


@dataclass
class JournalEntry:
    """A balanced set of postings booked together on one date."""

    entry_id: str
    booked_on: date
    description: str
    postings: list[Posting] = field(default_factory=list)
    reverses: str | None = None

    def totals(self) -> tuple[Decimal, Decimal]:
        """Total debits and total credits of the entry."""
        debits = sum((p.amount.amount for p in self.postings if p.side is Side.DEBIT), Decimal(0))
        credits = sum((p.amount.amount for p in self.postings if p.side is Side.CREDIT), Decimal(0))
        return debits, credits

    def is_balanced(self) -> bool:
        """True when debits equal credits and there is something to post."""
        debits, credits = self.totals()
        return debits == credits and debits > 0

    def problems(self) -> list[str]:
        """Every reason the entry cannot be posted (empty when it can)."""
        found = []
        if len(self.postings) < 2:
            found.append("an entry needs at least two postings")
        if any(p.amount.amount <= 0 for p in self.postings):
            found.append("posting amounts must be positive")
        if len({p.amount.currency for p in self.postings}) > 1:
            found.append("all postings must be in one currency")
        if not self.is_balanced():
            debits, credits = self.totals()
            found.append(f"debits {debits} do not equal credits {credits}")
        return found

    def reversal(self, entry_id: str, booked_on: date) -> JournalEntry:
        """A new entry that undoes this one by swapping every debit and credit."""
        swapped = [
            Posting(p.account_code, Side.CREDIT if p.side is Side.DEBIT else Side.DEBIT, p.amount)
            for p in self.postings
        ]
        description = f"Reversal of {self.entry_id}: {self.description}"
        return JournalEntry(entry_id, booked_on, description, swapped, reverses=self.entry_id)


class Journal:
    """The book of original entry: posts balanced entries against a chart of accounts."""

    def __init__(self, chart: ChartOfAccounts) -> None:
        """Create an empty journal for a chart of accounts."""
        self.chart = chart
        self._entries: dict[str, JournalEntry] = {}
        self._reversed: set[str] = set()

    def post(self, entry: JournalEntry) -> JournalEntry:
        """Validate and record an entry; raise UnbalancedEntryError on any problem."""
        problems = entry.problems()
        if entry.entry_id in self._entries:
            problems.append(f"entry {entry.entry_id} was already posted")
        for posting in entry.postings:
            if posting.account_code not in self.chart:
                problems.append(f"unknown account {posting.account_code}")
            elif self.chart.get(posting.account_code).closed:
                problems.append(f"account {posting.account_code} is closed")
        if problems:
            raise UnbalancedEntryError("; ".join(problems))
        self._entries[entry.entry_id] = entry
        return entry

    def transfer(
        self,
        entry_id: str,
        booked_on: date,
        debit_code: str,
        credit_code: str,
        amount: Money,
        description: str,
    ) -> JournalEntry:
        """Post a simple two-line entry moving an amount from one account to another."""
        postings = [
            Posting(debit_code, Side.DEBIT, amount),
            Posting(credit_code, Side.CREDIT, amount),
        ]
        return self.post(JournalEntry(entry_id, booked_on, description, postings))

    def reverse(self, entry_id: str, reversal_id: str, booked_on: date) -> JournalEntry:
        """Post the reversal of an earlier entry; each entry can be reversed only once."""
        if entry_id not in self._entries:
            raise KeyError(entry_id)
        if entry_id in self._reversed:
            raise UnbalancedEntryError(f"entry {entry_id} was already reversed")
        reversal = self.post(self._entries[entry_id].reversal(reversal_id, booked_on))
        self._reversed.add(entry_id)
        return reversal

    def entries_for(
        self, code: str, start: date | None = None, end: date | None = None
    ) -> list[JournalEntry]:
        """Entries touching an account, oldest first, optionally within [start, end]."""
        found = [
            e
            for e in self._entries.values()
            if any(p.account_code == code for p in e.postings)
            and (start is None or e.booked_on >= start)
            and (end is None or e.booked_on <= end)
        ]
        return sorted(found, key=lambda e: (e.booked_on, e.entry_id))

    def balance(self, code: str, as_of: date | None = None) -> Money:
        """Balance of an account in its normal direction, including entries up to as_of."""
        account = self.chart.get(code)
        debits = credits = Decimal(0)
        for entry in self.entries_for(code, end=as_of):
            for posting in (p for p in entry.postings if p.account_code == code):
                if posting.side is Side.DEBIT:
                    debits += posting.amount.amount
                else:
                    credits += posting.amount.amount
        return Money(account.signed_balance(debits, credits), account.currency)

    def trial_balance(self) -> dict[str, Decimal]:
        """Net debit (+) or credit (-) of every account used; the values sum to zero."""
        net: dict[str, Decimal] = {}
        for entry in self._entries.values():
            for posting in entry.postings:
                net[posting.account_code] = (
                    net.get(posting.account_code, Decimal(0)) + posting.signed()
                )
        if sum(net.values(), Decimal(0)) != 0:
            raise UnbalancedEntryError("trial balance does not balance")
        return dict(sorted(net.items()))

    def __len__(self) -> int:
        """Number of posted entries."""
        return len(self._entries)
