from collections import Counter

from tasks.feedback_scrubbing import (
    SCRUB_LANGUAGE,
    may_hold_secret,
    scrub_text,
    secret_flags,
)
from tasks.scrub import scrub
from tests.identify_assets.planted import planted_corpus


def test_given_every_planted_secret_when_prefiltered_then_each_text_scrub_changes_is_flagged():
    texts = [line for text in planted_corpus().files.values() for line in text.splitlines()]
    changed = [t for t in texts if scrub(t, SCRUB_LANGUAGE)[0] != t]
    assert len(changed) >= 50
    assert all(may_hold_secret(t) for t in changed)


def test_given_plain_code_when_prefiltered_then_it_is_not_scrubbed():
    code = "def fee(amount):\n    return amount * rate\n"
    assert not may_hold_secret(code)
    counts: Counter[str] = Counter()
    assert scrub_text(code, counts) == code and not counts


def test_given_personal_data_when_scrubbed_then_placeholders_replace_it_and_are_counted():
    counts: Counter[str] = Counter()
    clean = scrub_text("call +44 20 7946 0958 or write to ann@example.org", counts)
    assert "ann@example.org" not in clean and "7946" not in clean
    assert counts == Counter({"EMAIL": 1, "PHONE": 1})


def test_given_a_batch_when_flagged_column_wise_then_it_agrees_with_the_per_text_test():
    texts = [line for text in planted_corpus().files.values() for line in text.splitlines()]
    texts += ["def fee(amount):", "Ünïcödé KEY=1", "", "x" * 19, "y" * 20]
    assert secret_flags(texts).tolist() == [may_hold_secret(t) for t in texts]
