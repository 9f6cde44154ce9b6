"""Training checkpoints that survive kill -9, tagged so a resume never mixes data or settings.

A checkpoint lives under `<checkpoint_dir>/<run key>/step-<N>/`; the run key hashes the training
data, the base model and every parameter that changes the result. A changed dataset or changed
params gives another key, so the run starts fresh instead of resuming someone else's state.
Each checkpoint is written to a temporary folder and renamed into place: a kill during the
write leaves no half checkpoint that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from tasks.io import sha256_file, write_json

STATE_FILE = "state.json"
WEIGHTS_FILE = "trainable.pt"
OPTIMIZER_FILE = "optimizer.pt"

# Output locations and the checkpoint cadence do not change what is trained.
NEUTRAL_PARAMS = {"adapter_dir", "metrics", "live_dir", "trainer_state", "checkpoint_dir"}
NEUTRAL_PARAMS |= {"checkpoint_every", "checkpoint_keep", "init_pointer"}
# Only a continued round (init: promoted) reads these; a base round's key stays what it was.
CONTINUED_PARAMS = {"init", "replay"}


@dataclass
class Progress:
    """Where training stands: enough to continue exactly where it stopped."""

    step: int = 0
    epoch: int = 0  # batch orders drawn so far (each epoch has its own seed-determined order)
    consumed: int = 0  # micro-batches of the current order already trained on
    tokens: int = 0
    answer_tokens: int = 0
    seconds: float = 0.0
    data_digest: str = ""  # running hash of the example indices in training order
    history: list[dict[str, float]] = field(default_factory=list)  # per-step logged values
    visited: list[int] = field(default_factory=list)  # example indices trained on so far, once

    def record_batch(self, indices: list[int]) -> None:
        text = self.data_digest + ":" + ",".join(map(str, indices))
        self.data_digest = hashlib.sha256(text.encode()).hexdigest()
        seen = set(self.visited)
        self.visited += [i for i in dict.fromkeys(indices) if i not in seen]


def run_key(
    train_file: Path,
    model_dir: Path,
    finetune: dict,
    system: str,
    init: dict | None = None,
    pairs: str | None = None,
) -> str:
    """Hash of everything that determines the trained adapter; `init`: the adapter a continued
    round starts from (version, sha256 of its weights), None for fresh LoRA weights; `pairs`:
    the sha256 of the DPO pairs trained on (finetune.preference), None without."""
    neutral = NEUTRAL_PARAMS | (CONTINUED_PARAMS if init is None else set())
    settings = {k: v for k, v in finetune.items() if k not in neutral}
    model_files = sorted(p for p in model_dir.iterdir() if p.suffix in {".json", ".safetensors"})
    identity = (
        {
            "data": sha256_file(train_file),
            "model": {p.name: p.stat().st_size for p in model_files} | {"dir": str(model_dir)},
            "params": settings,
            "system": system,
        }
        | ({"init": init} if init is not None else {})
        | ({"pairs": pairs} if pairs else {})
    )
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def _rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def trainable_state(model: Any) -> dict[str, torch.Tensor]:
    """The parameters training changes (the LoRA weights), by name."""
    return {n: p.detach().cpu().clone() for n, p in model.named_parameters() if p.requires_grad}


def save(
    run_dir: Path,
    model: Any,
    optimizer: Any,
    scheduler: Any,
    progress: Progress,
    keep: int,
    rank: int = 0,
) -> Path:
    """Write checkpoint `step-<N>` atomically and prune all but the newest `keep`."""
    final = run_dir / f"step-{progress.step:06d}"
    staging = run_dir / f".staging-{progress.step:06d}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    torch.save(trainable_state(model), staging / WEIGHTS_FILE)
    torch.save(
        {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
        staging / OPTIMIZER_FILE,
    )
    torch.save(_rng_state(), staging / f"rng-{rank}.pt")
    write_json(staging / STATE_FILE, asdict(progress))
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    for old in sorted(run_dir.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest(run_dir: Path) -> Path | None:
    """The newest complete checkpoint of this run, if any."""
    done = [p for p in sorted(run_dir.glob("step-*")) if (p / STATE_FILE).exists()]
    return done[-1] if done else None


def restore(
    checkpoint: Path, model: Any, optimizer: Any, scheduler: Any, rank: int = 0
) -> Progress:
    """Load weights, optimizer, scheduler and random state; return the saved progress.

    Every file is unpickled with `weights_only=True` (tensors, numbers, strings and plain
    containers only): a checkpoint directory is writable by more than training, and a crafted
    pickle must fail to load (UnpicklingError) rather than run code.
    """
    weights = torch.load(checkpoint / WEIGHTS_FILE, map_location="cpu", weights_only=True)
    by_name = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in weights.items():
            by_name[name].copy_(value)
    states = torch.load(checkpoint / OPTIMIZER_FILE, map_location="cpu", weights_only=True)
    optimizer.load_state_dict(states["optimizer"])
    scheduler.load_state_dict(states["scheduler"])
    rng = checkpoint / f"rng-{rank}.pt"
    if rng.exists():
        _set_rng_state(torch.load(rng, weights_only=True))
    return Progress(**json.loads((checkpoint / STATE_FILE).read_text()))
