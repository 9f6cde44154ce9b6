"""Checks on bank details and payment references before anything reaches the ledger."""

from __future__ import annotations

import re
import string

MAX_REFERENCE_LENGTH = 18
_REFERENCE_CHARS = set(string.ascii_uppercase + string.digits + " -./&")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")


def normalise_sort_code(text: str) -> str:
    """Strip spaces and dashes from a sort code, so '12-34-56' becomes '123456'."""
    digits = re.sub(r"[\s-]", "", text or "")
    if not digits.isdigit() or len(digits) != 6:
        raise ValueError(f"sort code {text!r} must have six digits")
    return digits


def is_valid_sort_code(text: str) -> bool:
    """True for six digits, optionally written as 12-34-56."""
    try:
        normalise_sort_code(text)
    except ValueError:
        return False
    return True


def is_valid_account_number(text: str) -> bool:
    """True for eight digits that are not all the same digit."""
    if text is None or len(text) != 8 or not text.isdigit():
        return False
    return len(set(text)) > 1


def _iban_remainder(rearranged: str) -> int:
    """Remainder of the IBAN number (letters as 10..35) modulo 97."""
    remainder = 0
    for char in rearranged:
        value = str(int(char, 36))
        remainder = int(f"{remainder}{value}") % 97
    return remainder


def iban_checksum_ok(iban: str) -> bool:
    """Check the two IBAN check digits with the ISO 13616 mod-97 rule."""
    compact = iban.replace(" ", "").upper()
    if not _IBAN.match(compact):
        return False
    return _iban_remainder(compact[4:] + compact[:4]) == 1


def make_gb_iban(bank_code: str, sort_code: str, account_number: str) -> str:
    """Build a UK IBAN from a four-letter bank code, a sort code and an account number."""
    if len(bank_code) != 4 or not bank_code.isalpha():
        raise ValueError("bank code must be four letters")
    if not is_valid_account_number(account_number):
        raise ValueError(f"account number {account_number!r} is not valid")
    bban = bank_code.upper() + normalise_sort_code(sort_code) + account_number
    check = 98 - _iban_remainder(bban + "GB00")
    return f"GB{check:02d}{bban}"


def normalise_reference(text: str | None) -> str:
    """Upper-case a payment reference and collapse runs of spaces."""
    if text is None:
        return ""
    return " ".join(text.upper().split())


def reference_problems(text: str | None) -> list[str]:
    """Every scheme rule the reference breaks (empty when it is acceptable)."""
    value = normalise_reference(text)
    problems = []
    if len(value) > MAX_REFERENCE_LENGTH:
        problems.append(f"reference must be at most {MAX_REFERENCE_LENGTH} characters")
    bad = sorted(set(value) - _REFERENCE_CHARS)
    if bad:
        problems.append("reference may not contain " + " ".join(bad))
    if re.search(r"(.)\1{5,}", value):
        problems.append("reference must not repeat one character six or more times")
    return problems


def payee_problems(
    name: str, sort_code: str, account_number: str, reference: str | None = None
) -> list[str]:
    """Every problem with a new payee's details, field by field."""
    problems = []
    if not name or not name.strip():
        problems.append("name: must not be blank")
    elif len(name.strip()) > 70:
        problems.append("name: must be at most 70 characters")
    if not is_valid_sort_code(sort_code):
        problems.append("sort_code: must have six digits")
    if not is_valid_account_number(account_number):
        problems.append("account_number: must have eight digits")
    problems.extend(f"reference: {p}" for p in reference_problems(reference))
    return problems
