from tasks.evaluate.regurgitation import probes, regurgitation, sample_records, verbatim
from tasks.generation import load_model
from tasks.prompting import build_messages, render_prompt


def records() -> list[dict]:
    return [
        {"record_id": f"r{i}", "instruction": "Write code", "input": f"task {i}",
         "output": " ".join(f"word{i}{j}" for j in range(i * 6))}
        for i in range(1, 5)
    ]  # fmt: skip


def test_given_train_records_when_sampled_then_seeded_and_long_enough(tiny_model_dir):
    _, tokenizer = load_model(tiny_model_dir)
    first = sample_records(records(), 2, 30, tokenizer, seed=1)
    again = sample_records(records(), 2, 30, tokenizer, seed=1)
    assert first == again and len(first) == 2
    assert all(len(tokenizer(r["output"])["input_ids"]) >= 30 for r in first)


def test_given_a_record_when_probed_then_prompt_ends_with_k_answer_tokens_and_target_is_next_m(
    tiny_model_dir,
):
    _, tokenizer = load_model(tiny_model_dir)
    record = records()[3]
    prompts, targets = probes(tokenizer, [record], "sys", 5, 7)
    answer = tokenizer(record["output"], add_special_tokens=False)["input_ids"]
    messages = build_messages("sys", record["instruction"], record["input"])
    prompt = tokenizer(render_prompt(tokenizer, messages), add_special_tokens=False)["input_ids"]
    assert prompts == [prompt + answer[:5]] and targets == [answer[5:12]]


def test_given_continuations_when_compared_then_only_a_whole_verbatim_target_counts():
    assert verbatim([[1, 2, 3, 9], [1, 2], [4]], [[1, 2, 3], [1, 2, 3], []]) == [
        True,
        False,
        False,
    ]


def test_given_unseen_text_when_a_random_model_is_probed_then_it_is_not_regurgitated(
    tiny_model_dir,
):
    model, tokenizer = load_model(tiny_model_dir)
    assert regurgitation(model, tokenizer, records()[2:], "sys", 4, 8, 2) == [False, False]
