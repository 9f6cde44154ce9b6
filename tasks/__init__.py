"""Step logic of the flywheel: one package per step, importable without Prefect.

Importing this package turns telemetry off and keeps everything offline, so every entry point
(`python -m tasks.<step>`, the Prefect flows, the tests) runs the same way on a machine
without internet.
"""

import os
import sys
import warnings
from pathlib import Path

_OFFLINE_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "DVC_NO_ANALYTICS": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}
for _key, _value in _OFFLINE_DEFAULTS.items():
    os.environ.setdefault(_key, _value)

# peft 0.21 reads transformers' deprecated `is_gradient_checkpointing` when it wraps a model: a
# FutureWarning in every fine-tune log about code that is not ours.
warnings.filterwarnings(
    "ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning
)


def _project_venv_python() -> str | None:
    """The checkout's .venv python when this interpreter is not in a virtualenv (e.g. a stage
    started by `.venv/bin/dvc repro` with a system `python` first on PATH), else None."""
    if sys.prefix != sys.base_prefix or os.environ.get("LLMOPS_NO_REEXEC"):
        return None
    candidate = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else None


# A stage's `python -m tasks.<step>` run by a python outside the project's environment would
# fail deep inside with "No module named ..."; it runs again under the checkout's .venv instead
# (once: the re-run is inside the venv). `python -c` and the REPL are left alone.
_venv_python = _project_venv_python()
if _venv_python and "-m" in sys.orig_argv[1:]:
    print(f"tasks: not in a virtualenv; running again with {_venv_python}", file=sys.stderr)
    os.environ["LLMOPS_NO_REEXEC"] = "1"
    os.execv(_venv_python, [_venv_python, *sys.orig_argv[1:]])
