import json

import pyarrow as pa

from tasks.ingest_feedback.convert import dpo_pairs, kto_examples, sft_records, split_user_turn
from tasks.ingest_feedback.ledger import EVENTS_SCHEMA
from tasks.prompting import user_message
from tests.ingest_feedback.factory import event


def events_frame(*events) -> pa.Table:
    rows = [e | {"prompt": json.dumps(e["prompt"])} for e in events]
    return pa.Table.from_pylist(rows, schema=EVENTS_SCHEMA)  # as the ledger gives them


EDIT = event(event_id="e2", action="edit", edited_completion="def fee():\n    return 2\n")


def test_given_a_user_turn_when_split_then_prompting_rebuilds_it_exactly():
    user = "Implement the method fee\n\nclass A:\n\n  x"
    prompt = json.dumps([{"role": "system", "content": "s"}, {"role": "user", "content": user}])
    instruction, input_text = split_user_turn(prompt)
    assert (instruction, input_text) == ("Implement the method fee", "class A:\n\n  x")
    assert user_message(instruction, input_text) == json.loads(prompt)[1]["content"]


def test_given_an_edit_when_converted_then_it_is_an_sft_record_and_a_dpo_pair():
    frame = events_frame(EDIT)
    [record] = sft_records(frame)
    assert record["output"] == EDIT["edited_completion"] and record["origin"] == "feedback_edit"
    assert record["event_ids"] == ["e2"] and record["asset_id"] == "feedback:e2"
    assert (record["instruction"], record["input"]) == ("Implement the method fee", "ledger.fees()")
    [pair] = dpo_pairs(frame)
    assert pair["chosen"] == EDIT["edited_completion"] and pair["rejected"] == EDIT["completion"]
    assert pair["prompt"] == EDIT["prompt"] and pair["event_ids"] == ["e2"]
    assert kto_examples(frame) == []


def test_given_accepts_and_rejects_when_converted_then_they_are_kto_positives_and_negatives():
    frame = events_frame(event(), event(event_id="e3", action="reject", completion="pass"))
    assert [r["event_ids"] for r in sft_records(frame)] == [["e1"]]
    kto = kto_examples(frame)
    assert [(k["completion"], k["label"], k["event_ids"]) for k in kto] == [
        (event()["completion"], True, ["e1"]), ("pass", False, ["e3"])
    ]  # fmt: skip
    assert dpo_pairs(frame) == []


def test_given_identical_examples_from_several_events_when_converted_then_one_lists_all_ids():
    frame = events_frame(event(), event(event_id="e4"), EDIT, EDIT | {"event_id": "e5"})
    records = sft_records(frame)
    assert [r["event_ids"] for r in records] == [["e1", "e4"], ["e2", "e5"]]
    assert [p["event_ids"] for p in dpo_pairs(frame)] == [["e2", "e5"]]
    assert [k["event_ids"] for k in kto_examples(frame)] == [["e1", "e4"]]


def test_given_an_accept_and_an_edit_to_the_same_answer_when_converted_then_one_record_remains():
    same = event(
        event_id="e6", action="edit", completion="x", edited_completion=event()["completion"]
    )
    [record] = sft_records(events_frame(event(), same))
    assert record["event_ids"] == ["e1", "e6"] and record["origin"] == "feedback_edit"


def test_given_no_events_when_converted_then_there_are_no_records():
    empty = events_frame()
    assert sft_records(empty) == [] and dpo_pairs(empty) == [] and kto_examples(empty) == []


def test_given_the_same_events_in_other_batches_when_converted_then_the_records_are_identical():
    events = [event(event_id=f"e{n}", completion=f"return {n % 3}") for n in range(9)]
    events += [EDIT | {"event_id": f"x{n}"} for n in range(3)]
    whole = events_frame(*events)
    split = pa.concat_tables([events_frame(*events[:4]), events_frame(*events[4:])])
    assert sft_records(split) == sft_records(whole)
    assert [r["event_ids"] for r in sft_records(whole)] == [
        ["e0", "e3", "e6"], ["e1", "e4", "e7"], ["e2", "e5", "e8"], ["x0", "x1", "x2"]
    ]  # fmt: skip
    assert dpo_pairs(split) == dpo_pairs(whole) and kto_examples(split) == kto_examples(whole)
