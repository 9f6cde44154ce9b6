"""The Dask cluster manifest matches what infra/dask.md tells params.yaml, and the scan stage, run
as the cpu pool's worker runs it, does its per-file work on the cluster that params name."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml
from dask.distributed import Client, LocalCluster

from tasks.params import ExecutorParams
from tests.support import REPO

MANIFEST = REPO / "infra" / "kubernetes" / "dask-cluster.yaml"
GUIDE = REPO / "infra" / "dask.md"


def cluster_spec() -> dict:
    (resource,) = list(yaml.safe_load_all(MANIFEST.read_text(encoding="utf-8")))
    assert (resource["apiVersion"], resource["kind"]) == ("kubernetes.dask.org/v1", "DaskCluster")
    return resource


def test_the_documented_address_is_the_scheduler_service_of_the_manifest():
    resource = cluster_spec()
    name, namespace = resource["metadata"]["name"], resource["metadata"]["namespace"]
    service = resource["spec"]["scheduler"]["service"]
    comm = next(p for p in service["ports"] if p["name"] == "tcp-comm")
    (container,) = resource["spec"]["scheduler"]["spec"]["containers"]
    assert comm["targetPort"] in {p["name"] for p in container["ports"]}
    assert service["selector"]["dask.org/cluster-name"] == name
    # the operator names the scheduler's Service <cluster>-scheduler
    address = f"tcp://{name}-scheduler.{namespace}.svc.cluster.local:{comm['port']}"

    for text in (GUIDE.read_text(encoding="utf-8"), MANIFEST.read_text(encoding="utf-8")):
        documented = set(re.findall(r'address: "(tcp://[^"]+)"', text))
        assert documented == {address}
    assert ExecutorParams(type="dask", address=address).address == address


def test_workers_run_one_thread_read_sources_read_only_and_hold_no_keys():
    spec = cluster_spec()["spec"]
    pod = spec["worker"]["spec"]
    (worker,) = pod["containers"]
    (scheduler,) = spec["scheduler"]["spec"]["containers"]
    args = worker["args"]
    assert args[:2] == ["dask", "worker"] and args[args.index("--nthreads") + 1] == "1"
    assert worker["resources"]["requests"]["cpu"] == worker["resources"]["limits"]["cpu"] == "1"
    assert worker["image"] == scheduler["image"]  # one image, the cpu pool's, at one commit
    assert all(m["readOnly"] for m in worker["volumeMounts"])
    assert {v["name"] for v in pod["volumes"]} == {m["name"] for m in worker["volumeMounts"]}
    assert all(
        set(e) == {"name", "value"} and not e["name"].startswith("AWS") for e in worker["env"]
    )
    assert [s["secretRef"]["name"] for s in worker["envFrom"]] == ["flywheel-s3"]


def test_the_scan_stage_command_runs_its_files_on_the_cluster_params_name(tmp_path):
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    step = params["identify_assets"]
    step["sources"] = {"samples": step["sources"]["samples"] | {"path": str(REPO / "samples")}}
    step["scan_dir"], step["cache_dir"] = str(tmp_path / "scans"), str(tmp_path / "cache")
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        params["executor"] = {"type": "dask", "address": cluster.scheduler_address}
        (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
        command = [sys.executable, "-m", "tasks.identify_assets.scan", "samples"]
        run = subprocess.run(
            [*command, "--params", str(tmp_path / "params.yaml")],
            cwd=REPO,
            capture_output=True,
            text=True,
            env=os.environ | {"PYTHONPATH": str(REPO)},
            check=False,
        )
        ran = client.run_on_scheduler(
            lambda dask_scheduler: dask_scheduler.task_prefixes["process_chunk"].state_counts[
                "memory"
            ]
        )

    assert run.returncode == 0, run.stderr
    assert re.search(r"source 'samples': \d+ scanned", run.stdout)
    assert ran >= 1  # the stage's files were processed by the cluster's worker
    assert (tmp_path / "scans" / "samples" / "inventory.parquet").exists()
