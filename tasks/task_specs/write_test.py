"""write_test: Unit tests for a method, in the style of the project's test suite; Python tests run
against the project's code."""

from __future__ import annotations

from tasks.dsl import code_units
from tasks.task_specs import code_task

INSTRUCTIONS = {
    "write_test": {
        "en": (
            "Write test for follow code",
            "Write unit tests for the following code.",
            "Write tests that check the behaviour of this method.",
            "Add unit tests for the code below, in the style of the project's test suite.",
        ),
        "zh": (
            "为以下代码编写测试",
            "为下面的代码编写单元测试。",
            "编写测试来检查这个方法的行为。",
        ),
    },
}

SPEC = code_task(
    "write_test",
    lambda output, language, _method: code_units.validate_test(output, language),
    "tasks.build_dataset.assets:test_records",
    INSTRUCTIONS,
    executable=True,
    asset_kinds=("test",),
)
