"""The gpu work pool's Kubernetes base job template is complete and asks for GPUs."""

from __future__ import annotations

import json
import re

from tests.support import REPO

TEMPLATE = REPO / "infra" / "kubernetes" / "gpu-work-pool.json"


def test_every_placeholder_is_a_declared_variable_and_gpus_are_requested():
    template = json.loads(TEMPLATE.read_text())
    declared = set(template["variables"]["properties"])
    used = set(re.findall(r"{{\s*(\w+)\s*}}", json.dumps(template["job_configuration"])))
    assert used <= declared, f"undeclared variables: {sorted(used - declared)}"

    pod = template["job_configuration"]["job_manifest"]["spec"]["template"]["spec"]
    resources = pod["containers"][0]["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == "{{ gpu_count }}"
    assert resources["requests"]["nvidia.com/gpu"] == "{{ gpu_count }}"
    assert template["variables"]["properties"]["gpu_count"]["default"] == 1
    assert any(t["key"] == "nvidia.com/gpu" for t in pod["tolerations"])
