"""The optional merged model: base weights with the LoRA adapter folded in, as safetensors."""

from __future__ import annotations

from pathlib import Path

from tasks.generation import load_model


def save_merged(base_dir: Path, adapter_dir: Path, out_dir: Path) -> Path:
    """Merge the adapter into the base model and save model + tokenizer for plain transformers."""
    model, tokenizer = load_model(base_dir, adapter_dir)
    # vLLM and `AutoModelForCausalLM.from_pretrained` read exactly this layout: config.json,
    # generation_config.json, model.safetensors and the tokenizer files side by side.
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.padding_side = "right"  # the saved default; generation sets left padding itself
    tokenizer.save_pretrained(out_dir)
    return out_dir
