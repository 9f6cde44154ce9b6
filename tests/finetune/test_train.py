from collections import Counter

from tasks.finetune.data import length_grouped_batches, task_balanced_batches
from tasks.finetune.train import train
from tasks.io import sha256_file
from tasks.record_encoding import IGNORE_INDEX, Example, collate, encode

RECORDS = [
    {
        "instruction": "Implement the method fee",
        "input": "ledger.fees()\n- fields:\n- methods: fee(int): int",
        "output": "def fee(amount: int) -> int:\n    return amount // 100\n",
    },
    {
        "instruction": "create Agile user story for following topic",
        "input": "Pause a standing order",
        "output": "User Story: Pause\nAs a holder\nI want to pause\nSo that I save",
    },
    {
        "instruction": "Write test for follow code",
        "input": "def f():\n    return 1\n",
        "output": "def test_f():\n    assert f() == 1\n",
    },
]


def test_only_answer_tokens_carry_labels(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    example = encode(tokenizer, "sys", RECORDS[0], max_seq_len=512)
    answer = [
        t
        for t, label in zip(example.input_ids, example.labels, strict=True)
        if label != IGNORE_INDEX
    ]
    assert tokenizer.decode(answer) == RECORDS[0]["output"] + tokenizer.eos_token
    assert example.labels[0] == IGNORE_INDEX


def test_batches_pad_to_their_own_longest_example(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    examples = [encode(tokenizer, "", r, 512) for r in RECORDS]
    batch = collate(examples[:2], tokenizer.pad_token_id)
    assert batch["input_ids"].shape[1] == max(len(e.input_ids) for e in examples[:2])
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE_INDEX).all()
    batches = length_grouped_batches(examples, 2, seed=0)
    assert sorted(i for b in batches for i in b) == [0, 1, 2]


def test_balanced_batches_give_every_task_equal_turns():
    examples = [Example([0] * (i + 1), [0] * (i + 1), "big") for i in range(12)]
    examples += [Example([0] * 3, [0] * 3, "small"), Example([0] * 5, [0] * 5, "tiny")]
    batches = task_balanced_batches(examples, batch_size=3, seed=0, window=2)
    seen = Counter(examples[i].task for batch in batches for i in batch)
    assert seen == {"big": 12, "small": 12, "tiny": 12}
    assert {i for batch in batches for i in batch} == set(range(14))
    assert batches == task_balanced_batches(examples, batch_size=3, seed=0, window=2)


def test_a_rounds_new_records_are_each_tasks_first_draws():
    examples = [Example([0] * (i + 1), [0] * (i + 1), "big") for i in range(12)]
    examples += [Example([0] * (i + 1), [0] * (i + 1), "small") for i in range(4)]
    new = {3, 9, 14}  # two of "big", one of "small"
    order = [i for b in task_balanced_batches(examples, 1, seed=5, window=1, first=new) for i in b]
    big = [i for i in order if examples[i].task == "big"]
    small = [i for i in order if examples[i].task == "small"]
    assert set(big[:2]) == {3, 9} and small[0] == 14
    plain = task_balanced_batches(examples, 1, seed=5, window=1)
    assert sorted(order) == sorted(i for b in plain for i in b)  # the same draws, reordered
    grouped = length_grouped_batches(examples, 2, seed=5, first=new)
    assert {i for b in grouped[:2] for i in b} == new  # 3 new records: the first two batches
    assert sorted(i for b in grouped for i in b) == list(range(16))
    # nothing new: the orders a base round has always drawn (recorded from the samplers as
    # they were before `first` existed, dad8a1c), so a base run's data order is unchanged
    assert length_grouped_batches(examples, 2, 5) == [
        [8, 9], [3, 15], [1, 13], [0, 12], [10, 11], [2, 14], [6, 7], [4, 5]
    ]  # fmt: skip
    assert [i for b in plain for i in b] == [
        10, 15, 2, 12, 11, 13, 7, 14, 1, 15, 3, 12, 6, 13, 0, 14, 8, 15, 5, 12, 4, 13, 9, 14
    ]  # fmt: skip


def test_lora_training_runs_and_is_deterministic(tiny_model_dir, tiny_params, tmp_path):
    params = tiny_params.finetune.model_copy(update={"max_steps": 4})
    logged = []
    model, result = train(tiny_model_dir, RECORDS, "sys", params, lambda s, v, n: logged.append(s))
    model.save_pretrained(tmp_path / "a")
    model2, _ = train(tiny_model_dir, RECORDS, "sys", params)
    model2.save_pretrained(tmp_path / "b")

    assert result.steps == 4 and logged == [1, 2, 3, 4]
    assert result.answer_tokens > 0 and result.tokens > result.answer_tokens
    weights = "adapter_model.safetensors"
    assert sha256_file(tmp_path / "a" / weights) == sha256_file(tmp_path / "b" / weights)


def test_answer_loss_equals_the_full_logits_loss(tiny_model_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tasks.finetune.train import answer_loss

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    batch = collate([encode(tokenizer, "sys", r, 512) for r in RECORDS], tokenizer.pad_token_id)
    with torch.no_grad():
        reference = model(**batch).loss
        ours = answer_loss(model, batch)
    assert torch.allclose(ours, reference, atol=1e-5)


def test_packing_fills_few_rows_evenly_and_keeps_every_example():
    from tasks.finetune.data import pack_rows

    examples = [Example([0] * n, [0] * n) for n in (300, 200, 150, 100, 50)]
    rows = pack_rows(examples, row_len=400)

    assert sorted(i for row in rows for i in row) == [0, 1, 2, 3, 4]
    assert all(sum(len(examples[i].input_ids) for i in row) <= 400 for row in rows)
    assert len(rows) == 2  # 800 tokens fill two 400-token rows exactly: 300+100, 200+150+50


def test_a_packed_batch_has_the_padded_batch_loss_so_no_attention_crosses_records(
    tiny_model_dir,
):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tasks.finetune.data import collate_packed
    from tasks.finetune.train import answer_loss

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    examples = [encode(tokenizer, "sys", r, 512) for r in RECORDS]
    packed = collate_packed(examples, tokenizer.pad_token_id, row_len=512)
    padded = collate(examples, tokenizer.pad_token_id)

    assert packed["input_ids"].shape[0] == 1  # the three records share one row
    with torch.no_grad():
        assert torch.allclose(answer_loss(model, packed), answer_loss(model, padded), atol=1e-5)


def test_train_on_inputs_puts_labels_on_the_prompt_too(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    answers_only = encode(tokenizer, "sys", RECORDS[0], 512)
    everything = encode(tokenizer, "sys", RECORDS[0], 512, train_on_inputs=True)
    assert everything.labels == everything.input_ids
    assert answers_only.answer_tokens < everything.answer_tokens


def test_epochs_decide_the_step_count_and_exactly_one_length_is_required(tiny_params):
    import pytest
    from pydantic import ValidationError

    from tasks.finetune.train import total_steps
    from tasks.params import FinetuneParams

    by_epochs = tiny_params.finetune.model_copy(
        update={"max_steps": None, "epochs": 2.0, "grad_accum": 2}
    )
    assert total_steps(by_epochs, batches_per_epoch=10, processes=1) == 10
    assert total_steps(by_epochs, batches_per_epoch=10, processes=2) == 5
    settings = tiny_params.finetune.model_dump()
    with pytest.raises(ValidationError, match="exactly one of max_steps and epochs"):
        FinetuneParams(**settings | {"epochs": 1.0})
    with pytest.raises(ValidationError, match="exactly one of max_steps and epochs"):
        FinetuneParams(**settings | {"max_steps": None})


def test_quantization_is_off_on_cpu_and_4bit_without_cuda_is_a_clear_error():
    import pytest
    import torch

    from tasks.finetune.train import resolve_quantization

    cpu = torch.device("cpu")
    assert resolve_quantization("auto", cpu) == "none"
    assert resolve_quantization("none", cpu) == "none"
    with pytest.raises(ValueError, match="needs a CUDA GPU and the bitsandbytes package"):
        resolve_quantization("4bit", cpu)


def test_max_grad_norm_clips_the_update(tiny_model_dir, tiny_params):
    """A tiny norm all but freezes the LoRA B weights (zero at the start); 0 does not clip.

    Adam divides by the gradient's own scale, so a clipped gradient only shrinks the step once
    its elements fall well below Adam's eps (1e-8): 1e-12 puts them four orders below it, where
    1e-9 left the ratio near 100 and machine-dependent (CI measured 91).
    """

    def largest_b(max_grad_norm: float) -> float:
        params = tiny_params.finetune.model_copy(
            update={"max_steps": 2, "learning_rate": 1e-2, "max_grad_norm": max_grad_norm}
        )
        model, _ = train(tiny_model_dir, RECORDS, "sys", params)
        return max(
            float(p.detach().abs().max())
            for name, p in model.named_parameters()
            if "lora_B" in name
        )

    unclipped, clipped = largest_b(0.0), largest_b(1e-12)
    assert unclipped > 1e-3 and clipped < unclipped / 100, (unclipped, clipped)
