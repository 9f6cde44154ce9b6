"""The flywheel flow: every DVC stage as a Prefect task, in DAG order.

Gates are tasks of their own and fail with the expectations that were not met. The fine-tune
stage is dispatched to the `gpu` work pool through its deployment when a Prefect server is set
(PREFECT_API_URL) and the deployment exists; otherwise (ephemeral mode) it runs in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from prefect import Task, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.exceptions import FailedRun
from prefect.states import Completed, Failed, State
from prefect.tasks import exponential_backoff

import tasks  # noqa: F401 - sets the offline / no-telemetry environment first
from flows import remote as dvc_remote
from flows.artifacts import publish_gate, publish_run_artifacts
from flows.finetune import STAGE as FINETUNE_STAGE
from flows.finetune import finetune
from flows.stages import (
    TRACK_HINT,
    StageFailed,
    network_stages,
    pipeline_plan,
    reproduce,
    stage_is_current,
)
from tasks.io import read_json
from tasks.params import Params, ParamsError, RemoteParams, load_params
from tasks.summary import summary


class Outcome(str):
    """What a stage task returns ("ran", "passed", "skipped", ...): a fresh object each time.
    Prefect links a task to the task that returned any object found among its inputs, by
    identity; the interned literals would link every stage that returned the same word."""


def skipped(stage: str) -> State:
    """A stage DVC found up to date: Completed, named "Cached" in the UI, result "skipped"."""
    get_run_logger().info("%s is up to date, skipped", stage)
    return Completed(name="Cached", message=f"DVC: {stage} is up to date", data=Outcome("skipped"))


def failed(exc: StageFailed) -> State:
    """A stage that failed: its reason as the state's message. Returned, not raised, so the
    run log holds the stage's own error and this message, not a Prefect traceback per level
    (retries still apply: Prefect retries a returned Failed state like a raised exception)."""
    return Failed(message=str(exc))


# `known_current`: the flow's one `dvc status` of the whole pipeline already found the stage
# unchanged (and nothing upstream ran since), so the task skips without opening DVC again.
@task(task_run_name="{stage}")
def dvc_stage(
    repo_dir: str, stage: str, known_current: bool = False, force: bool = False
) -> str | State:
    """Reproduce one DVC stage unless DVC says it is up to date (`force`: run it regardless)."""
    if not force and (known_current or stage_is_current(repo_dir, stage)):
        return skipped(stage)
    try:
        reproduce(repo_dir, stage, get_run_logger(), force=force)
    except StageFailed as exc:
        return failed(exc)
    return Outcome("ran")


def retrying(network_task: Task, params: Params) -> Task:
    """The task with `orchestration.retries` retries and exponential backoff between them."""
    orchestration = params.orchestration
    delays = exponential_backoff(orchestration.retry_delay_seconds)(orchestration.retries)
    return network_task.with_options(retries=orchestration.retries, retry_delay_seconds=delays)


def with_retries(stage_task: Task, stage: str, params: Params) -> Task:
    """The task with retries and exponential backoff when the stage touches S3 or the network."""
    return retrying(stage_task, params) if stage in network_stages(params) else stage_task


@task(task_run_name="{stage}")
def gate_stage(repo_dir: str, stage: str, report: str, known_current: bool = False) -> str | State:
    """Reproduce a gate stage; on failure, fail with the gate's own account of what broke."""
    report_path = Path(repo_dir) / report
    if known_current or stage_is_current(repo_dir, stage):
        publish_gate(report_path, stage)
        return skipped(stage)
    try:
        reproduce(repo_dir, stage, get_run_logger())
    except StageFailed as exc:
        return failed(exc)
    finally:
        publish_gate(report_path, stage)
    return Outcome("passed")


def _deployment_exists(name: str) -> bool:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_deployment_by_name(name)
        except ObjectNotFound:
            return False
    return True


@task(task_run_name="finetune")
def finetune_stage(
    repo_dir: str, deployment: str, timeout_s: int, known_current: bool = False
) -> str | State:
    """Fine-tune on the gpu work pool via its deployment, or in-process without a server."""
    from prefect.deployments import run_deployment

    logger = get_run_logger()
    if known_current or stage_is_current(repo_dir, FINETUNE_STAGE):
        return skipped(FINETUNE_STAGE)
    if os.environ.get("PREFECT_API_URL") and _deployment_exists(deployment):
        logger.info("dispatching finetune to deployment %s", deployment)
        run = run_deployment(deployment, parameters={"repo_dir": repo_dir}, timeout=timeout_s)
        if not run.state or not run.state.is_completed():
            ended = run.state and run.state.name
            return Failed(message=f"finetune flow run {run.name} ended {ended}")
        return Outcome(f"ran on work pool {run.work_pool_name}")
    return Outcome(finetune(repo_dir))  # the same flow, as a subflow of this run


# Retrain trigger: step 6 decides from params whether there is enough new feedback or new
# assets to retrain (reports/feedback/retrain.json); when it says no, the nightly run stops
# after ingestion and its gate. `dvc repro` is unaffected.
RETRAIN_GATE = "gate_feedback"


def retrain_hold(decision_path: Path) -> str:
    """Why the stages after the feedback gate wait tonight ("" when the decision is to retrain)."""
    if not decision_path.exists():
        return ""
    decision = read_json(decision_path)
    return "" if decision["retrain"] else "; ".join(decision["reasons"])


EVALUATE_STAGE = "evaluate"


def publish_evaluation(report: Path) -> None:
    """The evaluation report (metrics, promotion decision, best / worst examples) as an artifact."""
    if report.exists():
        create_markdown_artifact(key="evaluation-report", markdown=report.read_text("utf-8"))


@task(task_run_name="save experiment")
def save_experiment(repo_dir: str, prefix: str, stages: list[str]) -> str:
    """Record the run as a DVC experiment, so `dvc exp show` lists it with metrics and params."""
    return dvc_remote.save_experiment(repo_dir, prefix, stages, get_run_logger())


@task(task_run_name="dvc push")
def push_outputs(repo_dir: str, remote: RemoteParams) -> str:
    """Push outputs and run-cache to the DVC remote, where other workers pull them from."""
    dvc_remote.push(repo_dir, remote, logger=get_run_logger())
    return remote.url


def validated_params(repo: str) -> Params:
    """The repo's params.yaml, validated (schema, no key written twice) before any stage runs:
    a bad edit fails here, before `dvc repro` could remove a stage's outputs."""
    with contextlib.chdir(repo):
        return load_params()


@flow(name="flywheel")
def flywheel(repo_dir: str = ".", experiment: str | None = None) -> dict[str, str] | State:
    """Run every stage of the DAG in dependency order; return what happened to each.

    With `experiment` (e.g. "nightly") a successful run is saved as the DVC experiment
    `<experiment>-YYYYMMDD-HHMM`; with `remote.url` set its outputs are pushed to the remote.
    """
    repo = str(Path(repo_dir).resolve())
    params = validated_params(repo)
    if experiment:  # fail before hours of work, not after
        dvc_remote.check_experiment_repo(repo, experiment)
        # the export stage reads it: an experiment publishes a candidate, never promotes
        os.environ["LLMOPS_EXPERIMENT"] = experiment
    else:
        os.environ.pop("LLMOPS_EXPERIMENT", None)
    outcomes: dict[str, str] = {}
    states: dict[str, State] = {}  # each stage's final state: the wait_for of its dependants
    hold = ""  # why the stages after the feedback gate wait (the retrain trigger said no)
    plan = pipeline_plan(repo)
    for stage, unchanged in plan.current.items():
        # Valid until a stage runs: its new outputs may change what comes after it.
        known = unchanged and set(outcomes.values()) <= {"skipped"}
        if hold:
            outcomes[stage] = "skipped" if known or stage_is_current(repo, stage) else "held"
            continue
        # Prefect draws the DVC DAG: each task waits for (and links to) the stages it reads.
        run = {"wait_for": [states[up] for up in plan.upstream[stage] if up in states]}
        run["return_state"] = True
        if stage == FINETUNE_STAGE:
            orchestration = params.orchestration
            states[stage] = finetune_stage(
                repo, orchestration.finetune_deployment, orchestration.finetune_timeout_s, known,
                **run,
            )  # fmt: skip
        elif stage.startswith("gate_"):
            states[stage] = gate_stage(
                repo, stage, str(params.gates.report_path(stage)), known, **run
            )
        else:
            states[stage] = with_retries(dvc_stage, stage, params)(repo, stage, known, **run)
        if states[stage].is_failed():  # the run stops here, with the stage's reason
            return Failed(message=states[stage].message)
        outcomes[stage] = states[stage].result()  # a crash (not a failure) still raises
        if stage == EVALUATE_STAGE:
            publish_evaluation(Path(repo) / params.evaluate.report)
        if stage == RETRAIN_GATE:
            hold = retrain_hold(Path(repo) / params.ingest_feedback.retrain_decision)
    if hold:
        get_run_logger().info("no retrain tonight, stopped after ingestion: %s", hold)
    if set(outcomes.values()) - {"skipped", "held"}:
        get_run_logger().info(TRACK_HINT)
    publish_run_artifacts(Path(repo), params)
    if experiment:
        save_experiment(repo, experiment, [s for s, done in outcomes.items() if done != "held"])
    if params.remote.url:
        retrying(push_outputs, params)(repo, params.remote)
    with contextlib.chdir(repo):
        text = summary(params)
    create_markdown_artifact(key="flywheel-summary", markdown=f"```\n{text}\n```")
    return outcomes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the flywheel flow (all DVC stages).")
    parser.add_argument("--repo", default=".", help="repository with dvc.yaml (default: .)")
    parser.add_argument("--experiment", help="save the run as DVC experiment <name>-<time>")
    args = parser.parse_args(argv)
    try:
        flywheel(args.repo, args.experiment)
    except (StageFailed, FailedRun, RuntimeError, ParamsError) as exc:
        print(f"\nflywheel failed: {exc}", file=sys.stderr)
        sys.exit(1)
    with contextlib.chdir(args.repo):
        print("\n" + summary(load_params()))


if __name__ == "__main__":
    main()
