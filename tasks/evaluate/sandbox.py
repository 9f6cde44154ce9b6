"""Run untrusted generated code in a separate, limited process; never in the evaluator's own.

Limits: a fresh temporary working directory, a minimal environment, Python in isolated mode,
RLIMIT_CPU / RLIMIT_AS / RLIMIT_FSIZE / no core dumps, a wall-clock timeout that kills the
whole process group, and no network: a new, empty network namespace (`unshare -n`) where the
kernel allows it (root, or unprivileged user namespaces), and always a preamble that makes
every socket connect / send / name lookup fail before the generated code runs.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Runs in the child before anything generated: sockets can still be created (some libraries
# do at import time) but cannot reach anything.
NETWORK_GUARD = """
import socket as _socket

def _no_network(*_args, **_kwargs):
    raise OSError("network access is disabled in the evaluation sandbox")

for _name in ("connect", "connect_ex", "sendto", "sendmsg", "bind"):
    setattr(_socket.socket, _name, _no_network)
_socket.create_connection = _no_network
_socket.getaddrinfo = _no_network
_socket.gethostbyname = _no_network
"""


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 20.0
    cpu_s: int = 15
    memory_mb: int = 1024
    file_mb: int = 16


@dataclass(frozen=True)
class Outcome:
    passed: bool
    reason: str  # "passed", "failed (exit N)", "timeout", ...
    output: str  # the tail of stdout and stderr


@functools.cache
def network_namespace_available() -> bool:
    """Whether `unshare -n` can give a child an empty network namespace here."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    try:
        done = subprocess.run([unshare, "-n", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _limit(limits: Limits) -> None:
    # SIGXCPU at the soft limit names the cause; the hard limit a second later is SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    size = limits.file_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _reason(returncode: int) -> str:
    if returncode < 0:
        name = signal.Signals(-returncode).name
        return "cpu limit" if name == "SIGXCPU" else f"killed by {name}"
    return "passed" if returncode == 0 else f"failed (exit {returncode})"


def run_python(code: str, workdir: Path, limits: Limits, args: list[str] | None = None) -> Outcome:
    """Run `code` (with the network guard first) as `python -I -c` in `workdir`."""
    command = [sys.executable, "-I", "-c", NETWORK_GUARD + "\n" + code, *(args or [])]
    if network_namespace_available():
        command = [shutil.which("unshare") or "unshare", "-n", *command]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "TMPDIR": str(workdir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=functools.partial(_limit, limits),
        start_new_session=True,  # its own process group: a timeout kills children too
    )
    try:
        output, _ = process.communicate(timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return Outcome(False, "timeout", output.decode("utf-8", "replace")[-2000:])
    return Outcome(
        process.returncode == 0,
        _reason(process.returncode),
        output.decode("utf-8", "replace")[-2000:],
    )


def run_pytest(workdir: Path, test_file: str, limits: Limits) -> Outcome:
    """Run one test file with pytest in the sandbox; `workdir` is the import root."""
    code = (
        "import sys, pytest\n"
        "sys.exit(pytest.main(['-q', '-x', '-p', 'no:cacheprovider', '-o', 'pythonpath=.', "
        "sys.argv[1]]))"
    )
    outcome = run_python(code, workdir, limits, [test_file])
    if outcome.reason == "failed (exit 5)":
        return Outcome(False, "no tests collected", outcome.output)
    return outcome
