"""Generated code tries to get out of the evaluation sandbox; every attempt must be held.

The hostile programs are strings built here (no payload file is committed). Each runs through
`run_python` (or the evaluator's `execute`) while the test, playing the evaluator, holds things
worth reaching: a checkout as its cwd with a canary file, a fake AWS secret in its environment,
a sleeping process, a loopback listener and an abstract unix socket in its network namespace.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Template

import pandas as pd
import pytest

from tasks.evaluate import sandbox
from tasks.evaluate.execution import execute, find_project
from tasks.evaluate.sandbox import NO_SANDBOX, Limits, Outcome, isolation, run_python
from tests.support import REPO

LIMITS = Limits(timeout_s=6, cpu_s=4, memory_mb=512, file_mb=1, processes=32)
needs_sandbox = pytest.mark.skipif(
    isolation() is None,
    reason="bwrap is missing or the kernel forbids user namespaces: no probe can run, and the "
    "evaluator refuses to execute (test_given_no_working_sandbox_*)",
)


@dataclass
class Host:
    """What the evaluator holds that generated code must not reach."""

    checkout: Path  # the evaluator's cwd, with a canary file
    work: Path  # the sandbox's work dir
    token: str  # unique to this test: in markers, canaries, the secret and daemon names
    sleeper: subprocess.Popen
    listener: socket.socket
    abstract: socket.socket

    @property
    def secret(self) -> str:
        return f"fake-secret-{self.token}"

    def values(self) -> dict[str, object]:
        return {
            "CHECKOUT": str(self.checkout),
            "REPO": str(REPO),
            "WORK": str(self.work),
            "TOKEN": self.token,
            "MARK": f"escaped-{self.token}",
            "HOST_PID": os.getpid(),
            "SLEEPER": self.sleeper.pid,
            "PORT": self.listener.getsockname()[1],
            "ABSTRACT": self.abstract.getsockname(),
            "VENV": os.path.dirname(os.path.dirname(os.path.abspath(sys.executable))),
            "ROOT_ENTRIES": [str(p) for p in _host_only("/root")],
        }


def _host_only(folder: str) -> list[Path]:
    """Entries of `folder` on the host that are not on the way to a read-only bind."""
    trees = sandbox._read_only_trees()
    return [p for p in Path(folder).iterdir() if not any(t.startswith(f"{p}/") for t in trees)]


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes() if path.is_file() else b"dir")
    return digest.hexdigest()


def _processes_named(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and token.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _accepted(listener: socket.socket) -> bool:
    try:
        connection, _ = listener.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    token = uuid.uuid4().hex[:12]
    checkout = tmp_path / "checkout"
    (checkout / "tasks").mkdir(parents=True)
    (checkout / "tasks" / f"canary-{token}.py").write_text("CANARY = True\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(checkout)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", f"fake-secret-{token}")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind(f"\0llmops-probe-{token}")
    abstract.listen()
    abstract.setblocking(False)
    sleeper = subprocess.Popen(["sleep", "120"])
    yield Host(checkout, work, token, sleeper, listener, abstract)
    sleeper.kill()
    sleeper.wait()
    listener.close()
    abstract.close()


@dataclass(frozen=True)
class Probe:
    name: str
    code: str  # a string.Template over Host.values()
    held: Callable[[Host, Outcome], bool] = lambda host, outcome: "ESCAPED" not in outcome.output
    settle_s: float = 0.0  # wait this long after the call before checking (daemons)


CONNECT = """
import socket, sys
def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        print("ESCAPED: connected")
    except OSError as exc:
        print("refused:", exc)
"""
CHILD = """
import subprocess, sys
connect = ("import socket; socket.create_connection(('127.0.0.1', $PORT), timeout=1); "
           "print('ESCAPED')")
done = subprocess.run([sys.executable, "-c", connect], capture_output=True, text=True)
print(done.returncode, done.stdout, done.stderr[-300:])
"""
NSENTER = """
import os, subprocess, sys
connect = ("import socket; socket.create_connection(('127.0.0.1', $PORT), timeout=1); "
           "print('ESCAPED')")
for pid in {os.getppid(), 1, $HOST_PID}:
    done = subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", sys.executable, "-c", connect],
                          capture_output=True, text=True)
    print(pid, done.returncode, done.stdout, done.stderr[-200:])
"""
SETNS = """
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
for pid in {os.getppid(), 1, $HOST_PID}:
    try:
        fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    except OSError as exc:
        print(pid, exc)
        continue
    if libc.setns(fd, 0x40000000) == 0:
        try:
            socket.create_connection(("127.0.0.1", $PORT), timeout=1)
            print("ESCAPED")
        except OSError as exc:
            print(pid, "setns worked, connect refused", exc)
    else:
        print(pid, "setns refused", ctypes.get_errno())
"""
WRITES = """
import os
targets = [f"/proc/{pid}/cwd/$MARK" for pid in {os.getppid(), 1, $HOST_PID}]
targets += [f"/proc/{pid}/root$CHECKOUT/$MARK" for pid in {os.getppid(), 1, $HOST_PID}]
targets += ["$CHECKOUT/$MARK", "$CHECKOUT/tasks/$MARK", "$REPO/$MARK", "$REPO/tasks/$MARK"]
for target in targets:
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as fh:
            fh.write("x")
    except OSError as exc:
        print(target, exc)
"""
OUTSIDE = """
import os
for target in ["/usr/$MARK", "$VENV/$MARK", "/tmp/$MARK", "$WORK/../$MARK", "/$MARK",
               "/etc/$MARK", "/root/$MARK"]:
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "w").write("x")
    except OSError as exc:
        print(target, exc)
"""
ENVIRON = """
import glob, os
found = [k for k in os.environ if k.startswith("AWS_")]
for path in glob.glob("/proc/*/environ") + ["/proc/$HOST_PID/environ"]:
    try:
        found += [v for v in open(path, "rb").read().split(b"\\0") if b"AWS_SECRET" in v]
    except OSError as exc:
        print(path, exc)
if found:
    print("ESCAPED", found)
"""
ROOT = """
import os
print(os.listdir("/root") if os.path.isdir("/root") else "no /root")
for path in $ROOT_ENTRIES + ["/root/.bashrc", "/root/.profile", "/root/.aws/credentials"]:
    try:
        print("ESCAPED", path, os.listdir(path) if os.path.isdir(path) else open(path).read(64))
    except OSError as exc:
        print(path, exc)
"""
SHADOW = """
for path in ("/etc/shadow", "/etc/gshadow", "/etc/sudoers"):
    try:
        print("ESCAPED", open(path).read(64))
    except OSError as exc:
        print(path, exc)
"""
KILL = """
import os, signal, subprocess
for attempt in (lambda: os.kill($SLEEPER, signal.SIGKILL),
                lambda: subprocess.run(["kill", "-9", "$SLEEPER"], capture_output=True),
                lambda: os.kill($HOST_PID, 0)):
    try:
        attempt()
    except OSError as exc:
        print(exc)
os.kill(-1, signal.SIGKILL)
"""
DAEMON = """
import os, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        code = "import time\\nwhile True:\\n    time.sleep(0.2)\\n    open('$WORK/$MARK', 'w')"
        os.execv(sys.executable, [sys.executable, "-c", code, "$TOKEN"])
    os._exit(0)
print("parent returns at once")
"""
FORK_BOMB = """
import os
while True:  # $TOKEN
    try:
        os.fork()
    except OSError:
        pass
"""
COUNT = """
import os, time
forked = 0
try:
    for _ in range(1000):
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        forked += 1
except OSError as exc:
    print("stopped:", exc)
print("forked", forked)
"""
LINKS = """
import glob, os
links = glob.glob("/proc/*/cwd") + glob.glob("/proc/*/root") + glob.glob("/proc/*/fd/*")
for link in links:
    for path in (link, link + "/tasks", link + "/..", link + "$CHECKOUT/tasks"):
        try:
            names = os.listdir(path)
        except OSError:
            continue
        if any(name.startswith("canary-") for name in names):
            print("ESCAPED", path, names)
"""
DEVICES = """
import os
print(sorted(os.listdir("/dev")))
for device in ("/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/sda", "/dev/vda",
               "/dev/nvme0n1", "/dev/fuse", "/dev/tty"):
    try:
        os.close(os.open(device, os.O_RDONLY | os.O_NONBLOCK))
        print("ESCAPED", device)
    except OSError as exc:
        print(device, exc)
"""
PRIVILEGE = """
import os, subprocess
for attempt in (lambda: os.setuid(0), lambda: os.setgid(0)):
    try:
        attempt()
    except OSError as exc:
        print(exc)
if os.getuid() == 0 or os.geteuid() == 0:
    print("ESCAPED uid 0")
done = subprocess.run(["unshare", "-r", "id", "-u"], capture_output=True, text=True)
print("unshare -r:", done.returncode, done.stdout, done.stderr)
if done.returncode == 0:
    print("ESCAPED: a nested user namespace")
"""

# 200 MB in 256 KiB files (each under RLIMIT_FSIZE) into every place the code might write to.
FILL = """
import errno, os
chunk = b"x" * (256 * 1024)
for place in (".", "/tmp", "/dev/shm", "/dev", "/", "/root", "$WORK/..", "$VENV"):
    written, error = 0, None
    try:
        for n in range(800):
            with open(os.path.join(place, f"fill-$TOKEN-{n}"), "wb") as fh:
                fh.write(chunk)
            written += len(chunk)
    except OSError as exc:
        error = errno.errorcode.get(exc.errno, str(exc.errno))
    print("wrote", place, written, error)
"""


def _no_mark(*folders: str) -> Callable[[Host, Outcome], bool]:
    def held(host: Host, outcome: Outcome) -> bool:
        mark = f"escaped-{host.token}"
        places = {"checkout": host.checkout, "repo": REPO, "work": host.work, "tmp": Path("/tmp")}
        places |= {"venv": Path(str(host.values()["VENV"])), "parent": host.work.parent}
        return not any(
            (places[f] / mark).exists() or (places[f] / "tasks" / mark).exists() for f in folders
        )

    return held


def _not_in_output(*names: str) -> Callable[[Host, Outcome], bool]:
    def held(host: Host, outcome: Outcome) -> bool:
        values = {"secret": host.secret, "canary": f"canary-{host.token}", "escaped": "ESCAPED"}
        return not any(values[name] in outcome.output for name in names)

    return held


def _connection(host: Host, outcome: Outcome) -> bool:
    try:
        connection, _ = host.abstract.accept()
        connection.close()
        return False
    except BlockingIOError:
        pass
    return "ESCAPED" not in outcome.output and not _accepted(host.listener)


def _daemon_gone(host: Host, outcome: Outcome) -> bool:
    return not _processes_named(host.token) and not (host.work / f"escaped-{host.token}").exists()


def _bounded(host: Host, outcome: Outcome) -> bool:
    forked = int(outcome.output.split("forked")[-1].split()[0])
    return forked < LIMITS.processes and "Resource temporarily unavailable" in outcome.output


def _bomb_over(host: Host, outcome: Outcome) -> bool:
    return not outcome.passed and not _processes_named(host.token)


def _disk_bounded(host: Host, outcome: Outcome) -> bool:
    bound = 4 * LIMITS.file_mb * 1024 * 1024  # each tmpfs: the work dir (empty here), /tmp, shm
    wrote = [line.split() for line in outcome.output.splitlines() if line.startswith("wrote ")]
    on_host = [
        path for folder in (host.work, host.work.parent, Path("/tmp"))
        for path in folder.glob(f"fill-{host.token}-*")
    ]  # fmt: skip
    return (
        len(wrote) == 8
        and all(int(written) <= bound and error != "None" for _, _, written, error in wrote)
        and not on_host
    )


PROBES = [
    Probe("write via /proc/<ppid>/cwd and /root", WRITES, _no_mark("checkout", "repo")),
    Probe("write outside the work dir", OUTSIDE, _no_mark("tmp", "venv", "parent")),
    Probe("read /proc/<ppid>/environ", ENVIRON, _not_in_output("secret", "escaped")),
    Probe("read /root", ROOT, _not_in_output("escaped")),
    Probe("read /etc/shadow", SHADOW, _not_in_output("escaped")),
    Probe("reach the host through /proc/*/fd, cwd, root", LINKS, _not_in_output("escaped")),
    Probe("open host devices", DEVICES, _not_in_output("escaped")),
    Probe("become root, nested user namespace", PRIVILEGE, _not_in_output("escaped")),
    Probe("kill another process", KILL, lambda host, _: host.sleeper.poll() is None),
    Probe("double-forked setsid daemon", DAEMON, _daemon_gone, settle_s=1.5),
    Probe("fork bomb", FORK_BOMB, _bomb_over, settle_s=0.5),
    Probe("process count past RLIMIT_NPROC", COUNT, _bounded),
    Probe("fill the host disk through the work dir, /tmp, /dev/shm", FILL, _disk_bounded),
    Probe("connect to a host loopback listener", CONNECT + "connect($PORT)", _connection),
    Probe(
        "connect with import _socket",
        "import _socket\ns = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)\n"
        "s.settimeout(1)\ntry:\n    s.connect(('127.0.0.1', $PORT)); print('ESCAPED')\n"
        "except OSError as exc:\n    print(exc)\n",
        _connection,
    ),
    Probe("connect from a child interpreter", CHILD, _connection),
    Probe("nsenter --net=/proc/<ppid>/ns/net", NSENTER, _connection),
    Probe("setns(2) into /proc/<ppid>/ns/net", SETNS, _connection),
    Probe(
        "connect to a host abstract unix socket",
        "import socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n"
        "    s.connect($ABSTRACT); print('ESCAPED')\nexcept OSError as exc:\n    print(exc)\n",
        _connection,
    ),
]


@needs_sandbox
@pytest.mark.parametrize("probe", PROBES, ids=[probe.name for probe in PROBES])
def test_given_a_hostile_program_when_sandboxed_then_the_escape_is_held(host, probe):
    # given: the evaluator's checkout as it was
    before = _digest(host.checkout)
    code = Template(probe.code).substitute(
        {k: v if isinstance(v, str) else repr(v) for k, v in host.values().items()}
    )
    # when
    started = time.perf_counter()
    outcome = run_python(code, host.work, LIMITS)
    elapsed = time.perf_counter() - started
    time.sleep(probe.settle_s)
    # then: held, bounded in time, and nothing of the evaluator's touched
    assert probe.held(host, outcome), outcome.output
    assert elapsed < LIMITS.timeout_s + 5
    assert _digest(host.checkout) == before
    assert host.sleeper.poll() is None and not _processes_named(host.token)


@needs_sandbox
def test_given_hostile_generated_tests_when_the_evaluator_executes_them_then_its_checkout_is_untouched(  # noqa: E501
    host,
):
    # given: a project whose generated test writes into the evaluator's cwd and reads its secret
    contents = pd.DataFrame(
        [
            ("s:app/calc.py", "s", "app/calc.py", "source", "python", "def one():\n    return 1\n"),
            ("s:app/test_calc.py", "s", "app/test_calc.py", "test", "python", "import calc\n"),
        ],
        columns=["asset_id", "source", "path", "kind", "language", "text"],
    )
    project = find_project(contents, "s:app/calc.py")
    body = Template(WRITES).substitute(
        {k: v if isinstance(v, str) else repr(v) for k, v in host.values().items()}
    )
    hostile = "def test_escape():\n" + "".join(f"    {line}\n" for line in body.splitlines())
    hostile += "    print(open(f'/proc/{os.getppid()}/environ').read())\n    assert False\n"
    before = _digest(host.checkout)
    # when
    outcome = execute(project, {"task": "write_test", "input": "def one(): ..."}, hostile, LIMITS)
    # then
    assert not outcome.passed and host.secret not in outcome.output
    assert _digest(host.checkout) == before and _no_mark("checkout", "repo")(host, outcome)


@pytest.mark.parametrize("bwrap", ["missing-bwrap", "/bin/false"], ids=["missing", "refused"])
def test_given_no_working_sandbox_when_executing_then_the_evaluator_refuses(
    tmp_path, monkeypatch, bwrap
):
    # given: no bwrap, or one that cannot start (what a kernel without user namespaces gives)
    monkeypatch.setattr(sandbox, "BWRAP", str(tmp_path / bwrap) if "/" not in bwrap else bwrap)
    contents = pd.DataFrame(
        [
            ("s:app/calc.py", "s", "app/calc.py", "source", "python", "def one():\n    return 1\n"),
            ("s:app/test_calc.py", "s", "app/test_calc.py", "test", "python", "import calc\n"),
        ],
        columns=["asset_id", "source", "path", "kind", "language", "text"],
    )
    project = find_project(contents, "s:app/calc.py")
    generated = "def test_ran():\n    open('/tmp/ran', 'w')\n"
    # when
    refused = execute(project, {"task": "write_test", "input": ""}, generated, Limits())
    # then: not run, never a silent unisolated run
    assert isolation() is None
    assert (refused.passed, refused.reason) == (False, NO_SANDBOX)
    with pytest.warns(RuntimeWarning, match="UNISOLATED"):
        opted_in = execute(
            project, {"task": "write_test", "input": ""}, "def test_ran():\n    assert True\n",
            Limits(allow_unisolated=True),
        )  # fmt: skip
    assert opted_in.passed
