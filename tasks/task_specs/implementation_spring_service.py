"""implementation_spring_service: a Spring `@Service` method from the service's interface and
the Spring Data repositories it uses."""

from __future__ import annotations

from tasks.dsl import spring_code
from tasks.task_specs import code_task

INSTRUCTIONS = {
    "implementation_spring_service": {
        "en": (
            "Implement the Spring service {name} for the following interface and repositories",
            "Write the Spring @Service {name}: implement the interface below with the "
            "repositories given, injected through its constructor.",
            "Implement this service interface as the Spring service {name}.",
        ),
        "zh": (
            "根据以下接口和仓库实现 Spring 服务 {name}",
            "编写 Spring @Service {name}：用给定的仓库（构造器注入）实现下面的接口。",
        ),
    },
}

SPEC = code_task(
    "implementation_spring_service",
    spring_code.validate_service,
    "tasks.build_dataset.from_spring:spring_services",
    INSTRUCTIONS,
    also_fed_by="Spring @Service classes with the repositories they use",
)
