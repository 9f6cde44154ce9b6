"""Running the real server on 127.0.0.1 for tests: in a thread, or as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tasks.io import read_json
from tasks.params import Params, load_params
from tasks.registry import promoted_bundle
from tests.support import REPO


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_params(root: Path, state: Path) -> Params:
    """The export workspace's params with the server's inbox and answers under `state`."""
    params = load_params(root / "params.yaml")
    serve = params.serve.model_copy(
        update={
            "inbox": str(state / "inbox"),
            "answers": str(state / "answers"),
            "continue_inbox": str(state / "continue"),
        }
    )
    return params.model_copy(update={"serve": serve})


@contextmanager
def engine_server(
    root: Path, state: Path, api_key: str | None = None
) -> Iterator[tuple[str, object]]:
    """Serve the workspace's promoted bundle from a thread; yield (base URL, engine)."""
    from tasks.serve.app import create_app
    from tasks.serve.engine import Engine
    from tasks.serve.store import FeedbackStore

    params = served_params(root, state)
    base_dir = Path(read_json(root / params.base_model.descriptor)["path"])
    engine = Engine(promoted_bundle(root / params.export.registry_dir), base_dir)
    store = FeedbackStore(Path(params.serve.answers), Path(params.serve.inbox))
    app = create_app(engine, store, params.serve, api_key)
    try:
        with serving(app) as url:
            yield url, engine
    finally:
        store.close()


@contextmanager
def serving(app, **config) -> Iterator[str]:
    """`app` behind a real uvicorn server in a thread (`config`: more uvicorn.Config
    options); yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def thread_server(root: Path, state: Path, api_key: str | None = None) -> Iterator[str]:
    """Serve the workspace's promoted bundle from a thread; yield the base URL (.../v1)."""
    with engine_server(root, state, api_key) as (url, _engine):
        yield f"{url}/v1"


def start_subprocess(root: Path, port: int) -> subprocess.Popen:
    """`python -m tasks.serve` in the workspace, as an operator starts it; waits until healthy."""
    env = dict(os.environ) | {"PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tasks.serve", "--params", "params.yaml", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stdout.read().decode()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("server did not become healthy in 120 s")
