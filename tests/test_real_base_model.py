"""The embedded default base model: provisioned from its wheel, one LoRA step, one answer."""

import pytest

from tasks.base_model import provision
from tasks.finetune.train import train
from tasks.generation import generate, load_model
from tasks.prompting import build_messages, render_prompt

pytestmark = pytest.mark.slow


def test_smollm2_provisions_trains_one_step_and_generates(repo_params):
    descriptor = provision(repo_params.base_model)  # cached per machine after the first run
    model_dir = descriptor["path"]
    record = {"instruction": "Implement the method fee", "input": "ledger.fees()",
              "output": "def fee(amount: int) -> int:\n    return amount // 100\n"}  # fmt: skip
    params = repo_params.finetune.model_copy(update={"max_steps": 1, "micro_batch_size": 1})

    _, result = train(model_dir, [record], repo_params.prompt.system, params)

    assert result.steps == 1 and result.first_loss > 0
    model, tokenizer = load_model(model_dir)
    prompt = render_prompt(tokenizer, build_messages(repo_params.prompt.system, "Say hello"))
    [answer] = generate(model, tokenizer, [prompt], max_new_tokens=8, batch_size=1)
    assert answer.strip()


def test_the_gguf_conversion_logs_progress_lines_not_a_redrawn_bar(repo_params, tmp_path, capfd):
    params = repo_params.base_model.model_copy(update={"cache_dir": str(tmp_path)})

    descriptor = provision(params)

    out = capfd.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if "GGUF" in line]
    assert "\r" not in out.out + out.err
    assert 2 <= len(lines) <= 4 and all(line.startswith("convert GGUF") for line in lines)
    assert "272/272 tensors (100%)" in lines[-1]
    assert (tmp_path / params.name / "config.json").is_file() and descriptor["sha256"]
