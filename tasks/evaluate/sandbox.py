"""Run untrusted generated code under bubblewrap (`bwrap`), or not at all.

Each run gets new user, pid, network, ipc and uts namespaces (`--unshare-all`) as uid/gid
65534, its own /proc and /dev (never the host's), read-only binds of only the system
directories and the interpreter and venv that run the tests, and nothing writable that the
host keeps: the work dir (the project's temporary copy) is bound read-only and copied into a
size-limited tmpfs at the same path, its cwd; /tmp and /dev/shm are size-limited tmpfs too
(each holds 4 x `file_mb`, the work dir that beyond the project), and the rest of the tree is
remounted read-only, so generated code can fill neither the host's disk nor, past those
bounds, its memory. Its environment is built from nothing (`--clearenv`), so the evaluator's
secrets never reach it. CPU, address-space, file-size, process-count and core rlimits are set
inside, before the code runs. A wall-clock timeout kills bwrap; `--die-with-parent` then
kills the sandbox's pid 1, and with it every process in the pid namespace, so nothing the code
started outlives the call.

As root, the sandbox must not map onto host root: the kernel never enforces RLIMIT_NPROC for
host root, so a fork bomb would be unbounded. A first bwrap (root, mount namespace only)
stages the read-only trees and the work dir at paths uid 65534 can reach (a pyenv under
/root, say), then `setpriv` drops to 65534 and the real sandbox starts from there.

No bwrap, or a kernel that refuses user namespaces: nothing runs, the outcome is
`not run: no sandbox`, unless `Limits.allow_unisolated` opts in (with a loud warning).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BWRAP = "bwrap"  # the bubblewrap binary: a name looked up on PATH, or a path
NOBODY = 65534  # uid and gid inside the sandbox (and of bwrap itself when we are root)
NO_SANDBOX = "not run: no sandbox"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
UNISOLATED_WARNING = (
    "evaluate.execution.allow_unisolated is on and no sandbox is available: generated code "
    "runs UNISOLATED, with the evaluator's user, files and network. Never do this with "
    "untrusted models or data."
)

# Where the project as written is bound read-only inside the sandbox; COPY_IN copies it into
# the work dir's tmpfs before the code runs (a trusted prelude; the code sees only the copy's
# writes, the host's work dir never changes).
PROJECT = "/.llmops-project"
COPY_IN = """import shutil as _shutil
_shutil.copytree({project!r}, ".", symlinks=True, dirs_exist_ok=True)
del _shutil
"""
PAGE = 4096  # a tmpfs stores every file in whole pages

# Prepended to the code: the limits are set in the sandboxed process itself, so RLIMIT_NPROC
# counts the sandbox's own user namespace, not every process the evaluator's user has.
RLIMITS = """import resource as _resource
for _name, _value in {limits!r}:
    _resource.setrlimit(getattr(_resource, _name), _value)
del _resource, _name, _value
"""


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 20.0
    cpu_s: int = 15
    memory_mb: int = 1024
    file_mb: int = 16  # per file; /tmp, /dev/shm and the work dir (beyond the project) hold
    # 4 x this each, in all
    processes: int = 64  # RLIMIT_NPROC: processes and threads inside the sandbox
    allow_unisolated: bool = False  # no sandbox here: run anyway (loud warning) or refuse


@dataclass(frozen=True)
class Outcome:
    passed: bool
    reason: str  # "passed", "failed (exit N)", "timeout", "not run: no sandbox", ...
    output: str  # the tail of stdout and stderr


def bwrap_path() -> str | None:
    """The bubblewrap binary `BWRAP` names, or None where it is missing."""
    return shutil.which(BWRAP)


def isolation() -> str | None:
    """What isolates generated code here, for reports; None where nothing does (no execution)."""
    bwrap = bwrap_path()
    return _probe(bwrap) if bwrap else None


def network_namespace_available() -> bool:
    """Whether generated code runs in its own, empty network namespace (old name: isolation)."""
    return isolation() is not None


@functools.cache
def _probe(bwrap: str) -> str | None:
    # A real start: bwrap may be installed while the kernel refuses user namespaces.
    with tempfile.TemporaryDirectory(prefix="llmops-sandbox-probe-") as tmp:
        done = _run_sandboxed(bwrap, Path(tmp), Limits(timeout_s=60), "print('isolated')", [])
    if done.reason != "passed" or done.output.strip() != "isolated":
        return None
    version = subprocess.run([bwrap, "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{version or 'bubblewrap'}: own user/pid/net/ipc/uts namespaces, uid {NOBODY}, "
        "read-only system + interpreter, size-limited tmpfs work dir, /tmp and /dev/shm, "
        "rlimits incl. processes"
    )


def _rlimits(limits: Limits) -> str:
    memory, size = limits.memory_mb * 1024 * 1024, limits.file_mb * 1024 * 1024
    values = [
        # SIGXCPU at the soft limit names the cause; the hard limit a second later is SIGKILL.
        ("RLIMIT_CPU", (limits.cpu_s, limits.cpu_s + 1)),
        ("RLIMIT_AS", (memory, memory)),
        ("RLIMIT_FSIZE", (size, size)),
        ("RLIMIT_NPROC", (limits.processes, limits.processes)),
        ("RLIMIT_CORE", (0, 0)),
    ]
    return RLIMITS.format(limits=values)


def _environment(home: str) -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _read_only_trees() -> list[str]:
    """System directories plus the interpreter's prefixes (venv, base install), outermost only."""
    trees = [p for p in SYSTEM_DIRS if os.path.isdir(p) and not os.path.islink(p)]
    interpreter = os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))
    for prefix in sorted({sys.prefix, sys.base_prefix, interpreter}, key=len):
        if not any(prefix == tree or prefix.startswith(tree + "/") for tree in trees):
            trees.append(prefix)
    return trees


def _scratch_bytes(limits: Limits) -> int:
    """What generated code may write into each tmpfs: /tmp, /dev/shm, the work dir."""
    return 4 * limits.file_mb * 1024 * 1024


def _stored_bytes(folder: Path) -> int:
    """Room the files under `folder` take on a tmpfs (whole pages), symlinks included."""
    total = 0
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            size = os.lstat(os.path.join(parent, name)).st_size
            total += -(-size // PAGE) * PAGE
    return total


def _bwrap_options(
    binds: list[tuple[str, str]], work: tuple[str, Path], limits: Limits, project_bytes: int
) -> list[str]:
    """The sandbox: `binds` (source, destination) read-only; `work` (source, path) copied
    into a tmpfs of `project_bytes` plus the scratch allowance, its cwd."""
    scratch = str(_scratch_bytes(limits))
    options = ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent"]
    options += ["--new-session", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    options += ["--hostname", "sandbox", "--proc", "/proc", "--dev", "/dev"]
    options += ["--size", scratch, "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    options += ["--size", scratch, "--tmpfs", "/tmp"]
    for source, destination in binds:
        options += ["--ro-bind", source, destination]
    for link in SYSTEM_DIRS:
        if os.path.islink(link):
            options += ["--symlink", os.readlink(link), link]
    options += ["--ro-bind", work[0], PROJECT]
    options += ["--size", str(project_bytes + _scratch_bytes(limits)), "--tmpfs", str(work[1])]
    # Last: the root tmpfs bwrap builds (and the mount points on it) becomes read-only; the
    # size-limited tmpfs above stay the only places the code can write to.
    options += ["--remount-ro", "/", "--chdir", str(work[1]), "--clearenv"]
    for name, value in _environment("/tmp").items():
        options += ["--setenv", name, value]
    return options


def _hand_over(workdir: Path) -> None:
    """Give the sandbox user its work dir (bwrap runs as 65534 on the host when we are root)."""
    for parent, dirs, files in os.walk(workdir):
        for name in [parent, *(os.path.join(parent, n) for n in dirs + files)]:
            os.chown(name, NOBODY, NOBODY, follow_symlinks=False)


def _reason(returncode: int) -> str:
    # bwrap reports a command killed by signal N as exit 128 + N.
    signum = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    if signum in signal.valid_signals():
        name = signal.Signals(signum).name
        return "cpu limit" if name == "SIGXCPU" else f"killed by {name}"
    return "passed" if returncode == 0 else f"failed (exit {returncode})"


def _start(command: list[str], cwd: Path, env: dict[str, str], **options: Any) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: a timeout kills all of it
        **options,
    )


def _wait(process: subprocess.Popen, timeout_s: float) -> Outcome:
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        try:
            output, _ = process.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # unisolated only: a setsid child holds the pipe
            process.kill()
            output = b""
        return Outcome(False, "timeout", output.decode("utf-8", "replace")[-2000:])
    text = output.decode("utf-8", "replace")[-2000:]
    return Outcome(process.returncode == 0, _reason(process.returncode), text)


def _run_sandboxed(
    bwrap: str, workdir: Path, limits: Limits, code: str, args: list[str]
) -> Outcome:
    trees = _read_only_trees()
    prelude = COPY_IN.format(project=PROJECT) + _rlimits(limits)
    python = [sys.executable, "-I", "-c", prelude + code, *args]
    env = {"PATH": "/usr/bin:/bin"}  # bwrap's own environment: its pid 1 in the sandbox keeps it
    project_bytes = _stored_bytes(workdir)
    if os.geteuid() != 0:
        binds = [(t, t) for t in trees]
        options = _bwrap_options(binds, (str(workdir), workdir), limits, project_bytes)
        return _wait(_start([bwrap, *options, "--", *python], workdir, env), limits.timeout_s)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return Outcome(False, NO_SANDBOX, "setpriv (util-linux) is missing")
    _hand_over(workdir)
    stage = Path(tempfile.mkdtemp(prefix="llmops-sandbox-stage-"))
    stage.chmod(0o755)
    staged = [str(stage / str(number)) for number in range(len(trees))]
    work = str(stage / "work")
    outer = [bwrap, "--dev-bind", "/", "/", "--die-with-parent"]
    for tree, source in zip(trees, staged, strict=True):
        outer += ["--ro-bind", tree, source]
    outer += ["--bind", str(workdir), work, "--", setpriv, f"--reuid={NOBODY}"]
    outer += [f"--regid={NOBODY}", "--clear-groups", "--"]
    binds = list(zip(staged, trees, strict=True))
    inner = _bwrap_options(binds, (work, workdir), limits, project_bytes)
    try:
        process = _start([*outer, bwrap, *inner, "--", *python], workdir, env)
        return _wait(process, limits.timeout_s)
    finally:  # empty mount points: the binds lived only in the first bwrap's namespace
        for path in [*staged, work, str(stage)]:
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(path)


def run_python(code: str, workdir: Path, limits: Limits, args: list[str] | None = None) -> Outcome:
    """Run `code` as `python -I -c` in the sandbox, with `workdir` as its writable cwd."""
    bwrap = bwrap_path()
    if bwrap is not None and _probe(bwrap) is not None:
        return _run_sandboxed(bwrap, workdir, limits, code, args or [])
    if not limits.allow_unisolated:
        return Outcome(False, NO_SANDBOX, "")
    print(f"WARNING: {UNISOLATED_WARNING}", file=sys.stderr)
    warnings.warn(UNISOLATED_WARNING, RuntimeWarning, stacklevel=2)
    command = [sys.executable, "-I", "-c", _rlimits(limits) + code, *(args or [])]
    return _wait(_start(command, workdir, _environment(str(workdir))), limits.timeout_s)


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
