"""Helpers shared by tests: the repository root, params overrides, running commands."""

from __future__ import annotations

import os
import random
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
REPO_FILES = (
    "tasks",
    "flows",
    "expectations",
    "samples",
    "evalsets",
    "dvc.yaml",
    "params.yaml",
    "pyproject.toml",
    "models/init.json",  # committed: the finetune stage's init pointer (finetune.init: base)
)


def tiny_overrides(cache_dir: Path) -> dict:
    """params.yaml overrides that run the whole DAG on the tiny model in about a minute."""
    return {
        "base_model": {"source": "tiny", "name": "tiny-llama", "cache_dir": str(cache_dir)},
        "finetune": {"max_steps": 3, "micro_batch_size": 2, "max_seq_len": 256, "warmup_steps": 0},
        "evaluate": {
            "max_records_per_task": 1,
            "max_new_tokens": 12,
            "batch_size": 4,
            "resample": {"tries": 1},
        },
        # the tiny tokenizer spends more tokens per word than the real one: keep every task
        "build_dataset": {"max_record_tokens": 1024},
        "gates": {"min_records_per_task": 1},
    }


def merged(base: dict, overrides: dict) -> dict:
    out = dict(base)
    for key, value in overrides.items():
        out[key] = merged(base.get(key, {}), value) if isinstance(value, dict) else value
    return out


def write_params(path: Path, overrides: dict) -> Path:
    """Write params.yaml with overrides applied to the repository's own params."""
    base = yaml.safe_load((REPO / "params.yaml").read_text())
    path.write_text(yaml.safe_dump(merged(base, overrides), sort_keys=False, allow_unicode=True))
    return path


def run(
    cmd: list[str], cwd: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run a command with this interpreter's bin directory first on PATH."""
    env = (env or dict(os.environ)) | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    }
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{cmd} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def copy_repo(dest: Path, cache_dir: Path) -> Path:
    """Make `dest` a fresh git + DVC repository of this project's pipeline on the tiny model."""
    dest.mkdir(parents=True)
    for name in REPO_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    write_params(dest / "params.yaml", tiny_overrides(cache_dir))
    run(["git", "init", "-q"], dest)
    run(["dvc", "init", "-q"], dest)
    run(["dvc", "config", "core.analytics", "false"], dest)
    run(["git", "add", "-A"], dest)
    run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "init"],
        dest,
    )
    return dest


# Secret-looking test values are built at run time, never committed as literals: a scanner
# reading this repository must find none, and every run plants fresh values.
_SECRET_RNG = random.Random()
_UPPER_DIGITS = string.ascii_uppercase + string.digits
PEM_LABEL = " ".join(("RSA", "PRIVATE", "KEY"))


def fake_aws_key_id() -> str:
    """A random string in the shape of an AWS access key id."""
    return "AK" + "IA" + "".join(_SECRET_RNG.choices(_UPPER_DIGITS, k=16))


def fake_github_token() -> str:
    """A random string in the shape of a GitHub personal access token."""
    alphabet = string.ascii_lowercase + string.digits
    return "gh" + "p_" + "".join(_SECRET_RNG.choices(alphabet, k=36))


def pem_block(body: str) -> str:
    """A PEM private-key block around `body`."""
    return f"-----BEGIN {PEM_LABEL}-----\n{body}\n-----END {PEM_LABEL}-----"


@contextmanager
def moto_s3() -> Iterator[str]:
    """http://127.0.0.1:<port> of a local S3-compatible (moto) server; dummy AWS keys meanwhile."""
    from moto.server import ThreadedMotoServer

    from tests.serve.server import free_port

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
