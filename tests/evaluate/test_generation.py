from tasks.generation import generate, generate_ids, load_model, sample_completions
from tasks.prompting import build_messages, render_prompt


def test_batched_generation_matches_one_by_one(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir)
    prompts = [
        render_prompt(tokenizer, build_messages("sys", text))
        for text in (
            "Implement the method fee",
            "hi",
            "Write test for follow code\n\ndef f(): pass",
        )
    ]
    batched = generate(model, tokenizer, prompts, max_new_tokens=8, batch_size=3)
    single = [generate(model, tokenizer, [p], max_new_tokens=8, batch_size=1)[0] for p in prompts]
    assert batched == single
    assert all(isinstance(text, str) for text in batched)


def test_sampling_gives_n_seeded_completions_and_greedy_when_n_is_one(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir)
    prompts = [render_prompt(tokenizer, build_messages("sys", "hi")), "x"]
    drawn = sample_completions(model, tokenizer, prompts, 3, 1.0, 6, 2, seed=7)
    again = sample_completions(model, tokenizer, prompts, 3, 1.0, 6, 2, seed=7)
    assert drawn == again and [len(texts) for texts in drawn] == [3, 3]
    greedy = sample_completions(model, tokenizer, prompts, 1, 1.0, 6, 2)
    assert greedy == [[text] for text in generate(model, tokenizer, prompts, 6, 2)]


def test_the_batched_decode_loop_gives_what_transformers_generate_gives_row_by_row(tiny_model_dir):
    import torch

    model, tokenizer = load_model(tiny_model_dir)
    id_lists = [[5, 9, 13, 2, 7, 21, 4], [8, 3], [30, 31, 32, 33], [11]]
    ours = generate_ids(model, tokenizer, id_lists, max_new_tokens=12, batch_size=4)
    stop = {tokenizer.eos_token_id, tokenizer.pad_token_id}
    for ids, new in zip(id_lists, ours, strict=True):
        row = model.generate(
            input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
            max_new_tokens=12, do_sample=False, pad_token_id=tokenizer.pad_token_id,
        )[0, len(ids):].tolist()  # fmt: skip
        end = next((i for i, token in enumerate(row) if token in stop), len(row))
        assert new == row[:end]
    assert generate_ids(model, tokenizer, id_lists, max_new_tokens=0, batch_size=4) == [[]] * 4
    # One budget per row: each row is cut at its own budget, in the same batch, and is what
    # that row alone with its budget gives (every task's resampled answers share batches).
    budgets = [3, 12, 0, 7]
    mixed = generate_ids(model, tokenizer, id_lists, max_new_tokens=budgets, batch_size=4)
    assert mixed == [row[:budget] for row, budget in zip(ours, budgets, strict=True)]


def test_top_p_keeps_only_the_nucleus_and_temperature_zero_is_argmax():
    import torch

    from tasks.generation import _next_tokens

    logits = torch.tensor([[0.0, 3.0, 2.9, -5.0]])
    assert _next_tokens(logits, 0.0, 1.0).tolist() == [1]
    torch.manual_seed(0)
    drawn = {_next_tokens(logits, 1.0, 0.3).item() for _ in range(50)}
    assert drawn == {1}  # the top token alone covers 30 % of the mass
    drawn = {_next_tokens(logits, 1.0, 0.9).item() for _ in range(200)}
    assert drawn == {1, 2}  # the two leading tokens cover 90 %; the tail is never drawn


def test_looping_needs_three_back_to_back_copies_of_a_block_of_eight_or_more_tokens():
    from tasks.generation import looping

    block = list(range(10, 20))
    assert looping([1, 2, 3] + block * 3)
    assert not looping([1, 2, 3] + block * 2)  # two copies: a repeated line, not a loop
    assert not looping(block * 3 + [99])  # the loop must be at the end
    assert looping([7, 8] * 12)  # a short loop is caught as a block of its repetitions
    assert not looping([7, 8] * 11)
    assert not looping(list(range(300)))


def test_stop_loops_cuts_a_looping_row_where_it_starts_to_loop_and_nothing_else(tiny_model_dir):
    from tasks.generation import looping

    model, tokenizer = load_model(tiny_model_dir)
    id_lists = [[5, 9, 13, 2, 7, 21, 4], [8, 3], [30, 31, 32, 33], [11]]
    full = generate_ids(model, tokenizer, id_lists, max_new_tokens=160, batch_size=4)
    cut = generate_ids(model, tokenizer, id_lists, 160, batch_size=4, stop_loops=True)
    assert any(looping(row) for row in full), "the random tiny model is expected to loop"
    for whole, short in zip(full, cut, strict=True):
        assert whole[: len(short)] == short  # same tokens up to the cut
        if len(short) < len(whole):
            assert looping(short) and len(short) % 4 == 0
            assert not any(looping(short[:n]) for n in range(4, len(short), 4))
