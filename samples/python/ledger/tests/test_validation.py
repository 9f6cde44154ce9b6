import pytest

from ledger.validation import (
    iban_checksum_ok,
    is_valid_account_number,
    is_valid_sort_code,
    make_gb_iban,
    normalise_reference,
    normalise_sort_code,
    payee_problems,
    reference_problems,
)


def test_normalise_sort_code_strips_dashes():
    assert normalise_sort_code("12-34-56") == "123456"
    assert normalise_sort_code(" 12 34 56 ") == "123456"


def test_normalise_sort_code_rejects_wrong_length():
    with pytest.raises(ValueError, match="six digits"):
        normalise_sort_code("12-34-5")


def test_is_valid_sort_code():
    assert is_valid_sort_code("654321")
    assert not is_valid_sort_code("65432A")


def test_is_valid_account_number_rejects_repeated_digit():
    assert is_valid_account_number("12345678")
    assert not is_valid_account_number("00000000")
    assert not is_valid_account_number("1234567")


def test_make_gb_iban_round_trips_through_checksum():
    iban = make_gb_iban("acme", "12-34-56", "12345678")
    assert iban == "GB32ACME12345612345678"
    assert iban_checksum_ok(iban)


def test_iban_checksum_ok_detects_typo():
    assert iban_checksum_ok("GB32 ACME 1234 5612 3456 78")
    assert not iban_checksum_ok("GB32ACME12345612345687")
    assert not iban_checksum_ok("not an iban")


def test_normalise_reference_collapses_spaces():
    assert normalise_reference("  rent   flat 2 ") == "RENT FLAT 2"
    assert normalise_reference(None) == ""


def test_reference_problems_reports_each_rule():
    assert reference_problems("INV-2026/04 & VAT") == []
    assert reference_problems("school fees summer term") == [
        "reference must be at most 18 characters"
    ]
    assert reference_problems("rent #4") == ["reference may not contain #"]
    assert len(reference_problems("zzzzzzz")) == 1


def test_payee_problems_names_the_fields():
    problems = payee_problems(" ", "12-34", "1234567a", "ok")
    assert problems == [
        "name: must not be blank",
        "sort_code: must have six digits",
        "account_number: must have eight digits",
    ]
    assert payee_problems("City Gym", "12-34-56", "11223344", "GYM") == []
