"""The flywheel's Prefect deployments, schedules and work pools, declared from params.yaml.

    PREFECT_API_URL=http://127.0.0.1:4200/api python -m flows.deployments [--params PATH]

- `flywheel/flywheel` on the cpu pool: nightly cron (`orchestration.nightly_cron` in
  `orchestration.timezone`; scheduled runs are recorded as the DVC experiment "nightly"),
  concurrency limit 1, so a second trigger waits until the running one ends.
- `feedback/feedback` on the cpu pool: step 6 on its own cron (`orchestration.feedback_cron`).
- `finetune/gpu` on the gpu pool: started by the flywheel's finetune task.

Declared in code rather than prefect.yaml because names, pools, crons and the time zone are
knobs in params.yaml like every other; a prefect.yaml would repeat them. Work pools that
do not exist yet are created as process pools; existing ones (a Kubernetes gpu pool from
infra/) keep their type and template, only the cpu pool's concurrency limit is set.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tasks  # noqa: F401 - sets the offline / no-telemetry environment first
from tasks.params import OrchestrationParams, load_params

REPO = Path(__file__).resolve().parent.parent
NIGHTLY_EXPERIMENT = "nightly"  # scheduled flywheel runs are saved as this DVC experiment


@dataclass(frozen=True)
class DeploymentSpec:
    """What one deployment runs, where and when."""

    flow: str
    name: str
    entrypoint: str
    work_pool: str
    cron: str | None = None
    schedule_parameters: dict[str, Any] = field(default_factory=dict)
    concurrency_limit: int | None = None


def _name(flow_and_deployment: str) -> tuple[str, str]:
    flow_name, _, name = flow_and_deployment.partition("/")
    if not name:
        raise ValueError(f"deployment {flow_and_deployment!r} is not <flow>/<deployment>")
    return flow_name, name


def deployment_specs(orchestration: OrchestrationParams) -> list[DeploymentSpec]:
    """The flywheel, feedback and fine-tune deployments the params describe."""
    return [
        DeploymentSpec(
            *_name(orchestration.flywheel_deployment),
            entrypoint="flows/flywheel.py:flywheel",
            work_pool=orchestration.cpu_pool,
            cron=orchestration.nightly_cron,
            schedule_parameters={"experiment": NIGHTLY_EXPERIMENT},
            concurrency_limit=1,  # two nightly runs never overlap
        ),
        DeploymentSpec(
            *_name(orchestration.feedback_deployment),
            entrypoint="flows/feedback.py:feedback",
            work_pool=orchestration.cpu_pool,
            cron=orchestration.feedback_cron,
            concurrency_limit=1,
        ),
        DeploymentSpec(
            *_name(orchestration.finetune_deployment),
            entrypoint="flows/finetune.py:finetune",
            work_pool=orchestration.gpu_pool,
        ),
    ]


def ensure_work_pools(orchestration: OrchestrationParams) -> None:
    """Create missing pools as process pools; cap the cpu pool at its concurrency limit."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    limits = {orchestration.cpu_pool: orchestration.cpu_pool_concurrency}
    with get_client(sync_client=True) as client:
        for pool in (orchestration.cpu_pool, orchestration.gpu_pool):
            try:
                client.read_work_pool(pool)
            except ObjectNotFound:
                template = ProcessWorker.get_default_base_job_template()
                client.create_work_pool(
                    WorkPoolCreate(name=pool, type="process", base_job_template=template)
                )
            if pool in limits:
                update = WorkPoolUpdate(concurrency_limit=limits[pool])
                client.update_work_pool(work_pool_name=pool, work_pool=update)


def deploy(spec: DeploymentSpec, repo: Path, timezone: str) -> None:
    """Create or update one deployment of the flow at `spec.entrypoint` in `repo`."""
    from prefect import flow
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron

    schedules = []
    if spec.cron:
        schedules = [Cron(spec.cron, timezone=timezone, parameters=spec.schedule_parameters)]
    limit = None
    if spec.concurrency_limit:
        # Enqueue: a trigger while a run is going waits for it rather than being cancelled.
        limit = ConcurrencyLimitConfig(
            limit=spec.concurrency_limit, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
        )
    flow.from_source(source=str(repo), entrypoint=spec.entrypoint).deploy(
        name=spec.name,
        work_pool_name=spec.work_pool,
        parameters={"repo_dir": str(repo)},
        schedules=schedules,
        concurrency_limit=limit,
        print_next_steps=False,
        ignore_warnings=True,  # the process-pool hint to use .serve() instead
    )


def deploy_all(repo: Path, params_path: Path) -> list[DeploymentSpec]:
    """Work pools and every deployment, against the server PREFECT_API_URL names."""
    orchestration = load_params(params_path).orchestration
    ensure_work_pools(orchestration)
    specs = deployment_specs(orchestration)
    for spec in specs:
        deploy(spec, repo, orchestration.timezone)
    return specs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Create the work pools and deployments.")
    parser.add_argument("--params", default=str(REPO / "params.yaml"), help="params file")
    parser.add_argument("--repo", default=str(REPO), help="checkout the workers run")
    args = parser.parse_args(argv)
    for spec in deploy_all(Path(args.repo).resolve(), Path(args.params)):
        when = f"cron {spec.cron!r}" if spec.cron else "on demand"
        print(f"deployment {spec.flow}/{spec.name}: pool {spec.work_pool}, {when}")


if __name__ == "__main__":
    main()
