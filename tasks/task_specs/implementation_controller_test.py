"""implementation_controller_test: a MockMvc test of a Spring controller's endpoint (the
project's own `@WebMvcTest` tests, matched to the endpoint they request)."""

from __future__ import annotations

from tasks.dsl import spring_code
from tasks.task_specs import code_task

INSTRUCTIONS = {
    "implementation_controller_test": {
        "en": (
            "Write a MockMvc test for the following Spring controller",
            "Write @WebMvcTest tests with MockMvc for the endpoint of the controller below, "
            "asserting status and body with andExpect.",
            "Test this Spring controller's endpoint with MockMvc.",
        ),
        "zh": (
            "为以下 Spring 控制器编写 MockMvc 测试",
            "用 MockMvc 为下面控制器的接口编写 @WebMvcTest 测试，用 andExpect 断言状态和响应体。",
        ),
    },
}

SPEC = code_task(
    "implementation_controller_test",
    spring_code.validate_controller_test,
    "tasks.build_dataset.from_spring:controller_tests",
    INSTRUCTIONS,
    asset_kinds=("source", "test"),
    also_fed_by="MockMvc tests of Spring controllers",
)
