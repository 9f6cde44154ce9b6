import time

import pytest

from tasks.evaluate import sandbox
from tasks.evaluate.sandbox import Limits, isolation, network_namespace_available, run_python

LIMITS = Limits(timeout_s=4, cpu_s=2, memory_mb=512, file_mb=1)
needs_sandbox = pytest.mark.skipif(
    isolation() is None,
    reason="no sandbox here (bwrap missing or user namespaces refused): execution refuses to run",
)


@needs_sandbox
@pytest.mark.slow
def test_given_an_infinite_loop_when_run_then_it_is_stopped_and_marked_failed(tmp_path):
    started = time.perf_counter()
    outcome = run_python("while True:\n    pass\n", tmp_path, LIMITS)
    assert not outcome.passed and outcome.reason in ("cpu limit", "timeout")
    assert time.perf_counter() - started < LIMITS.timeout_s + 2


@needs_sandbox
def test_given_a_huge_allocation_when_run_then_it_fails_inside_the_child(tmp_path):
    outcome = run_python("block = bytearray(8 * 1024**3)\n", tmp_path, LIMITS)
    assert not outcome.passed and "MemoryError" in outcome.output


@needs_sandbox
@pytest.mark.parametrize("module", ["socket", "_socket"])
def test_given_a_network_call_when_run_then_it_cannot_connect(tmp_path, module):
    code = (
        f"import {module} as s\nc = s.socket(s.AF_INET, s.SOCK_STREAM)\n"
        "c.settimeout(1)\nc.connect(('127.0.0.1', 9))\nprint('connected')\n"
    )
    outcome = run_python(code, tmp_path, LIMITS)
    assert not outcome.passed and "connected" not in outcome.output.splitlines()
    assert "OSError" in outcome.output or "Error" in outcome.output


@needs_sandbox
def test_given_a_clean_program_when_run_then_it_passes_in_its_own_directory(tmp_path):
    outcome = run_python("import os\nprint(os.getcwd(), os.getuid())\n", tmp_path, LIMITS)
    assert outcome.passed and outcome.output.split() == [str(tmp_path), str(sandbox.NOBODY)]
    assert network_namespace_available() is True
    assert "bubblewrap" in isolation()


def test_given_no_bwrap_when_run_then_nothing_runs_and_the_reason_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "BWRAP", str(tmp_path / "missing-bwrap"))
    assert isolation() is None and network_namespace_available() is False
    outcome = run_python("open('ran', 'w')\n", tmp_path, LIMITS)
    assert (outcome.passed, outcome.reason) == (False, sandbox.NO_SANDBOX)
    assert not (tmp_path / "ran").exists()


def test_given_no_bwrap_and_the_opt_in_when_run_then_it_runs_with_a_loud_warning(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(sandbox, "BWRAP", str(tmp_path / "missing-bwrap"))
    with pytest.warns(RuntimeWarning, match="UNISOLATED"):
        outcome = run_python("print('ran')\n", tmp_path, Limits(allow_unisolated=True))
    assert outcome.passed and outcome.output.strip() == "ran"
    assert "WARNING" in capsys.readouterr().err
