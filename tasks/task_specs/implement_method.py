"""implement_method: a method's code from its class's summary (Python, Java, TypeScript,
JavaScript); Python answers run against the project's tests."""

from __future__ import annotations

from tasks.dsl import code_units
from tasks.task_specs import code_task

INSTRUCTIONS = {
    "implement_method": {
        "en": (
            "Implement the method {name}",
            "Implement the method {name} of the class summarised below.",
            "Write the code of {name} for the following class.",
            "Given this class summary, write the method {name}.",
        ),
        "zh": (
            "实现方法 {name}",
            "根据下面的类摘要实现方法 {name}。",
            "为以下类编写方法 {name} 的代码。",
        ),
    },
}

SPEC = code_task(
    "implement_method",
    code_units.validate_method,
    "tasks.build_dataset.assets:source_records",
    INSTRUCTIONS,
    executable=True,
)
