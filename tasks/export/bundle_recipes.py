"""How other engines run a bundle: plain transformers + peft, vLLM with the LoRA adapter, Ollama
(the bundle's Modelfile) and, for engines without LoRA, the merged model.

Every recipe names the bundle where the registry keeps it (`<registry_dir>/versions/<version>`,
relative to the repository root) and the base model by its descriptor, never by a path that
only exists on the machine that exported it. The formats follow the tools' own sources (read
2026-12):

- Ollama (ollama/ollama): docs/modelfile.mdx (FROM a model name or a Safetensors directory;
  ADAPTER a Safetensors LoRA directory, relative to the Modelfile; TEMPLATE, SYSTEM, PARAMETER),
  docs/template.mdx (Go templates over `.Messages`; its ChatML example is OLLAMA_CHATML) and
  parser/parser.go (one instruction per line, a value plain, in "..." or in \"\"\"...\"\"\"
  with no escapes; a FROM that names no existing path is a model name).
- vLLM (vllm-project/vllm): `vllm serve <model> --enable-lora --lora-modules <name>=<path>`;
  vllm/config/lora.py: `max_lora_rank` is one of VLLM_LORA_RANKS, default 16.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from tasks.io import read_json
from tasks.params import Params
from tasks.prompting import render_prompt
from tasks.registry import VERSIONS

MODELFILE = "Modelfile"
ADAPTER = "adapter"
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
OLLAMA_CHATML = (
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
    "<|im_start|>assistant\n"
)
# A conversation that tells a ChatML chat template from any other (every role, two user turns).
_PROBE = [
    {"role": "system", "content": "S"},
    {"role": "user", "content": "U1"},
    {"role": "assistant", "content": "A1"},
    {"role": "user", "content": "U2"},
]


def registry_bundle(params: Params, version: str) -> str:
    """Where the registry keeps `version`'s bundle, as the recipes name it."""
    return (Path(params.export.registry_dir) / VERSIONS / version).as_posix()


def ollama_base_name(base: dict) -> str:
    """The Ollama model the Modelfile's FROM names: the base imported under its name, tagged
    with the start of its files' sha256, so another model of the same name cannot stand in."""
    return f"{base['name']}:{base['sha256'][:12]}"


def chatml(messages: list[dict[str, str]]) -> str:
    """A conversation in ChatML, ending where the assistant's answer starts."""
    turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return turns + "<|im_start|>assistant\n"


def _template_and_stop(tokenizer_dir: Path, system: str) -> tuple[str | None, str]:
    """OLLAMA_CHATML when the bundle's chat template renders ChatML (else None: Ollama keeps the
    template it detected when the base was imported), and the tokenizer's end-of-turn token."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    probes = [_PROBE] if system else [_PROBE, _PROBE[1:]]  # no SYSTEM: no system turn either
    same = all(render_prompt(tokenizer, probe) == chatml(probe) for probe in probes)
    return (OLLAMA_CHATML if same else None), tokenizer.eos_token


def _quoted(value: str) -> str:
    # Ollama's parser has no escapes: a value may not contain its own closing quotes.
    if '"""' in value:
        raise ValueError(f'an Ollama Modelfile value cannot contain """: {value!r}')
    return f'"""{value}"""'


def modelfile(params: Params, version: str, bundle: Path) -> str:
    """The bundle's Ollama Modelfile: the imported base, the adapter, our chat template (when it
    is ChatML), system prompt, stop token and greedy decoding as the server answers."""
    base = read_json(params.base_model.descriptor)
    system = params.prompt.system
    template, stop = _template_and_stop(bundle / "tokenizer", system)
    if '"' in stop:
        raise ValueError(f"stop token {stop!r} cannot be written as an Ollama parameter")
    lines = [
        f"# Ollama Modelfile for {version}: the base model plus this bundle's LoRA adapter.",
        "# Import the base model first (IDE.md, section Ollama), then, from the repository root:",
        f"#   ollama create {version} -f {registry_bundle(params, version)}/{MODELFILE}",
        f"FROM {ollama_base_name(base)}",
        f"ADAPTER ./{ADAPTER}",
    ]
    if template:
        lines.append(f"TEMPLATE {_quoted(template)}")
    else:
        lines.append("# No TEMPLATE: the chat template is not ChatML; the base's own applies.")
    if system:
        lines.append(f"SYSTEM {_quoted(system)}")
    lines += [
        f'PARAMETER stop "{stop}"',
        "PARAMETER temperature 0",
        f"PARAMETER num_predict {params.serve.default_max_tokens}",
    ]
    return "\n".join(lines) + "\n"


def vllm_lora_rank(adapter_dir: Path) -> int:
    """The smallest `--max-lora-rank` vLLM accepts that holds every rank of the adapter."""
    config = read_json(adapter_dir / "adapter_config.json")
    rank = max([config["r"], *(config.get("rank_pattern") or {}).values()])
    return next(allowed for allowed in VLLM_LORA_RANKS if allowed >= rank)


def _base_line(params: Params) -> str:
    program = 'import json, sys; print(json.load(open(sys.argv[1]))["path"])'
    descriptor = shlex.quote(params.base_model.descriptor)
    return f"BASE=$(python3 -c {shlex.quote(program)} {descriptor})"


def engine_recipes(params: Params, version: str, bundle: Path) -> str:
    """Markdown: serve the bundle with vLLM or Ollama, and what engines without LoRA load."""
    base = read_json(params.base_model.descriptor)
    serve, name = params.serve, shlex.quote(version)
    where = f"BUNDLE={shlex.quote(registry_bundle(params, version))}"
    ollama_base = ollama_base_name(base)
    has_merged = (bundle / "merged" / "config.json").is_file()
    merged_note = "holds it" if has_merged else "has none (exported with `export.merged: false`)"
    return f"""## vLLM (GPU), base model plus LoRA adapter

From the repository root. `BASE` is the base model directory the descriptor
`{params.base_model.descriptor}` names (on another machine `python -m tasks.base_model` first
provisions it there); vLLM then serves the adapter under the bundle's version, so `autodev.json`
and `continue.yaml` work against it unchanged (vLLM has no feedback endpoint).

```bash
{_base_line(params)}
{where}
vllm serve "$BASE" --served-model-name {shlex.quote(base["name"])} \\
  --host {serve.host} --port {serve.port} --enable-lora \\
  --max-lora-rank {vllm_lora_rank(bundle / ADAPTER)} --lora-modules {name}="$BUNDLE/{ADAPTER}"
```

## Ollama

The bundle's `{MODELFILE}` builds on the base model imported into Ollama as `{ollama_base}`
(once per base model), adds `{ADAPTER}/` (Ollama imports Safetensors LoRA adapters with
`ADAPTER`), our chat template, system prompt and stop token, and greedy decoding:

```bash
{_base_line(params)}
{where}
printf 'FROM %s\\n' "$BASE" > "${{TMPDIR:-/tmp}}/base.Modelfile"
ollama create {shlex.quote(ollama_base)} -f "${{TMPDIR:-/tmp}}/base.Modelfile"
ollama create {name} -f "$BUNDLE/{MODELFILE}"
ollama run {name} "Write test for follow code ..."
```

Ollama's OpenAI API is `http://localhost:11434/v1` (model `{version}`).

## Engines without LoRA: `export.merged`

With `export.merged: true` in params.yaml the bundle also holds `merged/`: the base model with
the adapter folded in, a plain Hugging Face model directory (config.json, model.safetensors,
tokenizer) for engines that cannot apply an adapter, such as llama.cpp's
`convert_hf_to_gguf.py` or `AutoModelForCausalLM.from_pretrained`; for vLLM:

```bash
vllm serve "$BUNDLE/merged" --served-model-name {name} --host {serve.host} --port {serve.port}
```

and for Ollama the Modelfile with `FROM ./merged` and no `ADAPTER` line. This bundle
{merged_note}.
"""


def transformers_snippet(params: Params, version: str) -> str:
    """Python that loads the bundle with plain transformers + peft and answers one prompt."""
    bundle = registry_bundle(params, version)
    return f"""import json
from pathlib import Path

from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

bundle = Path({json.dumps(bundle)})  # or any copy of the bundle
base = json.loads(Path({json.dumps(params.base_model.descriptor)}).read_text())["path"]
tokenizer = AutoTokenizer.from_pretrained(bundle / "tokenizer")
model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), bundle / "adapter")
system = json.loads((bundle / "prompts.json").read_text())["system"]
question = "Write test for follow code\\n\\ndef add(a, b):\\n    return a + b"
messages = [{{"role": "system", "content": system}}, {{"role": "user", "content": question}}]
inputs = tokenizer.apply_chat_template(
    messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
)
generation = json.loads((bundle / "generation_config.json").read_text())  # greedy
output = model.generate(**inputs, **generation)
print(tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True))
"""
