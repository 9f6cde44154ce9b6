"""DPO beside SFT (finetune.preference): the loss, the log-probabilities, and a trained pair."""

import math

import pytest
import torch

from tasks.finetune.preference import answer_logprobs, dpo_loss, encode_pairs, pair_batch
from tasks.finetune.train import answer_loss, train
from tasks.params import PreferenceParams
from tasks.record_encoding import collate, encode

PROMPT = [{"role": "user", "content": "Implement the method fee\n\nfee(int): int"}]
CHOSEN = "def fee(amount: int) -> int:\n    return amount // 100\n"
REJECTED = "def fee(amount: int) -> int:\n    return fee(fee(fee(fee(fee(fee(fee(fee("
PAIRS = [{"prompt": PROMPT, "chosen": CHOSEN, "rejected": REJECTED, "task": "implement_method"}]
RECORDS = [
    {"instruction": "Write test for follow code", "input": f"def f():\n    return {n}\n",
     "output": f"def test_f():\n    assert f() == {n}\n", "task": "write_test"}
    for n in range(4)
]  # fmt: skip


def test_the_loss_is_log_2_at_the_reference_and_falls_as_chosen_gains_on_rejected():
    reference = torch.tensor([-10.0, -12.0])  # one pair: chosen row, then rejected row
    at_start, margin = dpo_loss(reference.clone(), reference, beta=0.1)
    assert math.isclose(float(at_start), math.log(2), rel_tol=1e-6) and float(margin) == 0
    better, margin = dpo_loss(torch.tensor([-8.0, -14.0]), reference, beta=0.1)
    worse, _ = dpo_loss(torch.tensor([-12.0, -10.0]), reference, beta=0.1)
    assert float(margin) == 4.0 and float(better) < math.log(2) < float(worse)


def test_answer_logprobs_sum_what_the_sft_loss_averages(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    records = [{"instruction": "i", "input": "x", "output": CHOSEN}, RECORDS[0]]
    examples = [encode(tokenizer, "sys", r, 512) for r in records]
    with torch.no_grad():
        together = answer_logprobs(model, collate(examples, tokenizer.pad_token_id))
        for row, example in enumerate(examples):
            alone = collate([example], tokenizer.pad_token_id)
            mean_nll = float(answer_loss(model, alone))
            assert math.isclose(-float(together[row]) / example.answer_tokens, mean_nll,
                                rel_tol=1e-4)  # fmt: skip


def test_a_pair_reads_as_training_does_with_the_system_prompt_added(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    ((chosen, rejected),) = encode_pairs(tokenizer, "sys", PAIRS, 512)
    record = {"instruction": "Implement the method fee", "input": "fee(int): int", "output": CHOSEN}
    assert chosen.input_ids == encode(tokenizer, "sys", record, 512).input_ids
    batch = pair_batch([(chosen, rejected)], tokenizer.pad_token_id)
    assert batch["input_ids"].shape[0] == 2 and rejected.answer_tokens > 0


def test_training_on_a_pair_widens_its_margin_only_with_a_weight(tiny_model_dir, tiny_params):
    """The same SFT run with and without the DPO term: the term widens the pair's margin
    (chosen over rejected, against the starting weights) and logs its loss and margin."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    batch = pair_batch(encode_pairs(tokenizer, "sys", PAIRS, 512), tokenizer.pad_token_id)

    def trained_margin(weight: float) -> tuple[float, list[dict]]:
        preference = PreferenceParams(weight=weight, beta=0.5, pairs_per_step=1)
        params = tiny_params.finetune.model_copy(
            update={"max_steps": 6, "learning_rate": 5e-3, "preference": preference}
        )
        logged = []
        model, _ = train(tiny_model_dir, RECORDS, "sys", params, lambda s, v, n: logged.append(v),
                         pairs=PAIRS)  # fmt: skip
        model.eval()
        with torch.no_grad():
            trained = answer_logprobs(model, batch)
            with model.disable_adapter():  # the reference: fresh LoRA weights, the base model
                start = answer_logprobs(model, batch)
        return float((trained[0] - start[0]) - (trained[1] - start[1])), logged

    sft_only, sft_log = trained_margin(0.0)
    with_dpo, dpo_log = trained_margin(1.0)
    assert with_dpo > sft_only + 5.0, (sft_only, with_dpo)
    assert "dpo_loss" not in sft_log[-1]
    assert dpo_log[0]["dpo_margin"] == pytest.approx(0.0, abs=1e-3)  # step 1: the reference
    assert dpo_log[-1]["dpo_margin"] > 1.0 and dpo_log[-1]["dpo_loss"] < math.log(2)


def test_the_pairs_a_run_trained_on_count_in_its_lineage():
    from tasks.finetune.__main__ import data_lineage

    record = RECORDS[0] | {"event_ids": ["e1"]}
    pairs = [PAIRS[0] | {"event_ids": ["e2", "e3"]}]
    lineage = data_lineage([record], [record], [0], None, pairs)
    assert lineage["event_ids"] == ["e1", "e2", "e3"] and lineage["preference_pairs"] == 1
    assert "preference_pairs" not in data_lineage([record], [record], [0], None)


def test_steps_cycle_through_the_pairs_in_a_seed_fixed_order(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tasks.finetune.preference import Pairs

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    too_long = {"prompt": [{"role": "user", "content": "word " * 600}], "chosen": "a",
                "rejected": "b"}  # fmt: skip
    given = [PAIRS[0], too_long, PAIRS[0] | {"chosen": "def fee(a): return 0"}]
    preference = PreferenceParams(weight=1.0, pairs_per_step=1)
    pairs = Pairs(model, tokenizer, "sys", given, preference, 256, 7, torch.device("cpu"))
    assert pairs.sources == [0, 2]  # the prompt that fills max_seq_len is dropped
    assert sorted(pairs.for_step(0) + pairs.for_step(1)) == [0, 1]
    assert pairs.for_step(2) == pairs.for_step(0)
    assert pairs.visited(1) in ([0], [2]) and pairs.visited(2) == [0, 2]
    again = Pairs(model, tokenizer, "sys", given, preference, 256, 7, torch.device("cpu"))
    assert torch.equal(again.reference_rejected, pairs.reference_rejected)
