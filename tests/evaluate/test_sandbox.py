import time

import pytest

from tasks.evaluate.sandbox import Limits, network_namespace_available, run_python

LIMITS = Limits(timeout_s=4, cpu_s=2, memory_mb=512, file_mb=1)


@pytest.mark.slow
def test_given_an_infinite_loop_when_run_then_it_is_stopped_and_marked_failed(tmp_path):
    started = time.perf_counter()
    outcome = run_python("while True:\n    pass\n", tmp_path, LIMITS)
    assert not outcome.passed and outcome.reason in ("cpu limit", "timeout")
    assert time.perf_counter() - started < LIMITS.timeout_s + 2


def test_given_a_huge_allocation_when_run_then_it_fails_inside_the_child(tmp_path):
    outcome = run_python("block = bytearray(8 * 1024**3)\n", tmp_path, LIMITS)
    assert not outcome.passed and "MemoryError" in outcome.output


def test_given_a_network_call_when_run_then_it_cannot_connect(tmp_path):
    code = (
        "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)\nprint('connected')\n"
    )
    outcome = run_python(code, tmp_path, LIMITS)
    assert not outcome.passed and "connected" not in outcome.output.splitlines()
    assert "network access is disabled" in outcome.output


def test_given_a_raw_socket_connect_when_run_then_it_is_refused_too(tmp_path):
    code = "import socket\ns = socket.socket()\ns.connect(('93.184.216.34', 80))\n"
    outcome = run_python(code, tmp_path, LIMITS)
    assert not outcome.passed and "network access is disabled" in outcome.output


def test_given_a_clean_program_when_run_then_it_passes_in_its_own_directory(tmp_path):
    outcome = run_python("import os\nprint(os.getcwd())\n", tmp_path, LIMITS)
    assert outcome.passed and str(tmp_path) in outcome.output
    assert isinstance(network_namespace_available(), bool)
