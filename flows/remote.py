"""The DVC remote the workers share data through, and nightly runs saved as DVC experiments.

    python -m flows.remote configure            # params.yaml `remote` -> .dvc/config.local
    python -m flows.remote push [TARGET ...]    # outputs + run history (default: everything)
    python -m flows.remote pull [TARGET ...]    # outputs named in dvc.lock (default: everything)

The remote is written into `.dvc/config.local` (git-ignored), not the committed `.dvc/config`:
params.yaml stays the one place the URL is set (every checkout and worker configures itself
from it before a push or pull), the endpoint can differ per machine (`--params`), and nothing
machine-specific dirties the git tree that `dvc exp save` records. Credentials come from the
usual AWS environment or profile and are never written anywhere.
"""

from __future__ import annotations

import contextlib
import logging
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import tasks  # noqa: F401 - sets the offline / no-telemetry environment first
from flows.stages import dvc_command, run_logged
from tasks.params import RemoteParams, load_params, step_parser

_EXPERIMENT_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # a safe git ref component


class RemoteError(RuntimeError):
    """A DVC remote command failed; the message carries the end of its output."""


class ExperimentError(RuntimeError):
    """A run cannot be saved as a DVC experiment (no git repository, bad name)."""


def configure(repo_dir: str | Path, remote: RemoteParams) -> bool:
    """Write `remote` into the checkout's .dvc/config.local as the default; False if none is set."""
    from dvc.repo import Repo

    if not remote.url:
        return False
    section = {"url": remote.url}
    if remote.endpoint_url:
        section["endpointurl"] = remote.endpoint_url
    if remote.region:
        section["region"] = remote.region
    with contextlib.chdir(repo_dir), Repo(".") as repo:
        if repo.config.read("local").get("remote", {}).get(remote.name) == section:
            return True
        # The same edit as `dvc remote add --local --default --force`, validated by DVC's schema,
        # without a CLI start-up per checkout.
        with repo.config.edit("local") as config:
            config["remote"][remote.name] = section
            config["core"]["remote"] = remote.name
    return True


def run_dvc(
    repo_dir: str | Path, args: Sequence[str], logger: logging.Logger | None = None
) -> None:
    """Run a dvc command in `repo_dir`, logging its output; RemoteError with its end on failure."""
    argv, env = dvc_command(*args)
    code, tail = run_logged(argv, repo_dir, env, logger or logging.getLogger(__name__))
    if code != 0:
        raise RemoteError(f"`dvc {' '.join(args)}` failed in {repo_dir}:\n" + "\n".join(tail))


def push(
    repo_dir: str | Path,
    remote: RemoteParams,
    targets: Iterable[str] = (),
    logger: logging.Logger | None = None,
) -> bool:
    """Push outputs and their run history (run-cache) to the remote; False if none is set."""
    if not configure(repo_dir, remote):
        return False
    run_dvc(repo_dir, ["push", "--run-cache", "--remote", remote.name, *targets], logger)
    return True


def pull(
    repo_dir: str | Path,
    remote: RemoteParams,
    targets: Iterable[str] = (),
    logger: logging.Logger | None = None,
) -> bool:
    """Pull outputs recorded in dvc.lock from the remote; False if none is set.

    Named targets must all arrive; without targets, stages that never ran here are skipped.
    """
    if not configure(repo_dir, remote):
        return False
    targets = list(targets)
    lenient = [] if targets else ["--allow-missing"]
    run_dvc(repo_dir, ["pull", "--remote", remote.name, *lenient, *targets], logger)
    return True


def stage_inputs(repo_dir: str | Path, stage: str) -> list[str]:
    """Cached outputs of other stages that `stage` depends on: what a worker must pull."""
    from dvc.repo import Repo

    def overlaps(a: str, b: str) -> bool:
        return a == b or a.startswith(b + "/") or b.startswith(a + "/")

    with contextlib.chdir(repo_dir), Repo(".") as repo:
        (target,) = repo.stage.collect(stage)
        deps = [dep.def_path for dep in target.deps]
        outs = [
            out.def_path
            for other in repo.index.stages
            if other.addressing != stage
            for out in other.outs
            if out.use_cache
        ]
    return sorted({out for out in outs if any(overlaps(dep, out) for dep in deps)})


def _git(repo_dir: str | Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo_dir, capture_output=True, text=True, check=False)


def check_experiment_repo(repo_dir: str | Path, prefix: str) -> None:
    """Fail early, with what to do, when a run could not be saved as an experiment."""
    if not _EXPERIMENT_PREFIX.match(prefix):
        raise ExperimentError(
            f"experiment name {prefix!r}: use letters, digits, '-' and '_' (a git ref name)"
        )
    if _git(repo_dir, "rev-parse", "--verify", "--quiet", "HEAD").returncode != 0:
        raise ExperimentError(
            f"{Path(repo_dir).resolve()} is not a git repository with a commit, and DVC "
            "experiments are git refs: run `git init && git add -A && git commit` there, or "
            "run the flywheel without `experiment`"
        )


def experiment_name(repo_dir: str | Path, prefix: str, now: datetime | None = None) -> str:
    """`<prefix>-YYYYMMDD-HHMM` (UTC), with a counter when that name is already taken."""
    now = now or datetime.now(UTC)
    base = f"{prefix}-{now:%Y%m%d-%H%M}"
    # Experiment refs live under refs/exps/<baseline>/<name>; names must be unique across all
    # baselines so that `dvc exp apply <name>` and `dvc exp branch <name>` are unambiguous.
    refs = _git(repo_dir, "for-each-ref", "--format=%(refname:lstrip=-1)", "refs/exps").stdout
    taken = set(refs.split())
    name, counter = base, 1
    while name in taken:
        counter += 1
        name = f"{base}-{counter}"
    return name


def save_experiment(
    repo_dir: str | Path,
    prefix: str,
    stages: Iterable[str] = (),
    logger: logging.Logger | None = None,
) -> str:
    """Save the workspace (dvc.lock, params, metrics) as a DVC experiment; return its name.

    `stages` limits what DVC commits to the stages that ran or were current: a stage the
    retrain trigger held back must not be recorded as up to date.
    """
    check_experiment_repo(repo_dir, prefix)
    name = experiment_name(repo_dir, prefix)
    include = [arg for path in files_for_git(repo_dir) for arg in ("-I", path)]
    run_dvc(repo_dir, ["exp", "save", "--name", name, *include, *stages], logger)
    return name


def files_for_git(repo_dir: str | Path) -> list[str]:
    """Untracked files a run leaves for git: dvc.lock, uncached metrics / plots, .gitignore files.

    The experiment must hold them (`dvc exp save` skips untracked files), but nothing else
    that happens to lie untracked in the checkout.
    """
    from dvc.repo import Repo

    with contextlib.chdir(repo_dir), Repo(".") as repo:
        uncached = [out.def_path for out in repo.index.outs if not out.use_cache]
    listing = _git(repo_dir, "ls-files", "--others", "--exclude-standard", "-z").stdout
    return [
        path
        for path in listing.split("\0")
        if path == "dvc.lock"
        or Path(path).name == ".gitignore"
        or any(path == out or path.startswith(out + "/") for out in uncached)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = step_parser("Share pipeline data through the DVC remote set in params `remote`.")
    parser.add_argument("action", choices=["configure", "push", "pull"])
    parser.add_argument("targets", nargs="*", help="stages or paths (default: all)")
    parser.add_argument("--repo", default=".", help="repository with dvc.yaml (default: .)")
    args = parser.parse_args(argv)
    remote = load_params(Path(args.repo) / args.params).remote
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.action == "configure":
            done = configure(args.repo, remote)
        elif args.action == "push":
            done = push(args.repo, remote, args.targets)
        else:
            done = pull(args.repo, remote, args.targets)
    except RemoteError as exc:
        sys.exit(f"{args.action} failed: {exc}")
    if not done:
        sys.exit("no DVC remote configured: set remote.url in params.yaml")
    print(f"{args.action}: done (remote {remote.name}: {remote.url})")


if __name__ == "__main__":
    main()
