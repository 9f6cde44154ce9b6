"""A stage started by a python outside the project's environment runs under .venv instead.

`.venv/bin/dvc repro` without the venv on PATH runs each stage's `python -m tasks.<step>` with
the system python, which has none of our dependencies: tasks/__init__.py starts it again with
the checkout's .venv python rather than failing deep inside with "No module named ...".
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
AT_LEAST_311 = "sys.version_info >= (3, 11)"


def _system_python() -> str | None:
    for name in ("/usr/bin/python3", shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")):
        if not name or not Path(name).exists():
            continue
        probe = subprocess.run(
            [name, "-c", f"import sys; print(sys.prefix == sys.base_prefix, {AT_LEAST_311})"],
            capture_output=True, text=True,
        )  # fmt: skip
        if probe.stdout.split() == ["True", "True"]:
            return name
    return None


SYSTEM_PYTHON = _system_python()


@pytest.mark.skipif(not VENV_PYTHON.exists(), reason="no .venv in this checkout (make install)")
@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="no python >= 3.11 outside a virtualenv here")
def test_given_the_system_python_when_a_stage_module_runs_then_it_runs_again_under_the_venv():
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
    script = "import sys; print(sys.prefix)"
    done = subprocess.run(
        [SYSTEM_PYTHON, "-m", "tasks.params", "--check"], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "params.yaml: valid" in done.stdout
    assert f"running again with {VENV_PYTHON}" in done.stderr
    # `python -c` is never re-run: only stage modules (`-m`) are
    plain = subprocess.run(
        [SYSTEM_PYTHON, "-c", f"import tasks; {script}"], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    assert "running again" not in plain.stderr
    assert Path(plain.stdout.strip()) != REPO / ".venv"  # still the system python
