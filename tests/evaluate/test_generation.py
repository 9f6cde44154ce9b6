from tasks.generation import generate, load_model, sample_completions
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
