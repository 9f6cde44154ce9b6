"""Start the server: `python -m tasks.serve [--params params.yaml] [--host H] [--port P]`."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from tasks.base_model import resolve
from tasks.params import Params, load_params, step_parser
from tasks.registry import BundleIntegrityError, promoted_bundle

log = logging.getLogger("tasks.serve")


def bundle_to_serve(params: Params) -> Path:
    """serve.bundle_dir, else the registry's promoted bundle, else the latest export."""
    if params.serve.bundle_dir:
        return Path(params.serve.bundle_dir)
    promoted = promoted_bundle(params.export.registry_dir, verify=False)  # Engine verifies it
    if promoted is not None:
        return promoted
    log.warning(
        "nothing promoted in %s yet: serving the latest export %s",
        params.export.registry_dir,
        params.export.bundle_dir,
    )
    return Path(params.export.bundle_dir)


def build_app(params: Params, bundle: Path):
    """The app for `bundle` with the params' inbox, limits and optional API key."""
    from tasks.serve.app import create_app
    from tasks.serve.engine import Engine
    from tasks.serve.store import FeedbackStore

    merged = (bundle / "merged" / "config.json").is_file()
    engine = Engine(
        bundle, None if merged else resolve(params.base_model), params.serve.batch_size,
        params.serve.batch_window_ms,
    )  # fmt: skip
    store = FeedbackStore(Path(params.serve.answers), Path(params.serve.inbox))
    api_key = os.environ.get(params.serve.api_key_env) or None
    return create_app(engine, store, params.serve, api_key)


def main(argv: list[str] | None = None) -> None:
    parser = step_parser("Serve the promoted bundle through an OpenAI-compatible API.")
    parser.add_argument("--host", help="default: serve.host")
    parser.add_argument("--port", type=int, help="default: serve.port")
    parser.add_argument("--bundle", help="a bundle directory (default: the promoted one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    params = load_params(args.params)
    bundle = Path(args.bundle) if args.bundle else bundle_to_serve(params)
    try:
        app = build_app(params, bundle)
    except BundleIntegrityError as exc:
        raise SystemExit(f"error: {exc}") from None
    import uvicorn

    host, port = args.host or params.serve.host, args.port or params.serve.port
    log.info("serving %s on http://%s:%s/v1", bundle, host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning")


if __name__ == "__main__":
    main()
