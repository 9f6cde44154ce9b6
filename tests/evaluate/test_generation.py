from tasks.generation import generate, load_model
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
