"""implementation_spring_controller: a Spring `@RestController` from its API table and the
interface of the service it calls (real controllers of the assets, one operation or a few)."""

from __future__ import annotations

from tasks.dsl import spring_code
from tasks.task_specs import code_task

INSTRUCTIONS = {
    "implementation_spring_controller": {
        "en": (
            "Implement the Spring controller {name} for the following API table and service "
            "interface",
            "Write the Spring @RestController {name} that serves the API below by calling the "
            "service interface given.",
            "Implement the REST endpoints of this API table as the Spring controller {name}.",
        ),
        "zh": (
            "根据以下 API 表格和服务接口实现 Spring 控制器 {name}",
            "编写 Spring @RestController {name}，调用给定的服务接口来提供下面的 API。",
        ),
    },
}

SPEC = code_task(
    "implementation_spring_controller",
    spring_code.validate_controller,
    "tasks.build_dataset.from_spring:spring_controllers",
    INSTRUCTIONS,
    also_fed_by="Spring @RestController classes with the services they call",
)
