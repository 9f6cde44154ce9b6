"""Instruction wording per task, from the seeds (English) with Chinese equivalents."""

from __future__ import annotations

_INSTRUCTIONS = {
    ("create_agile_user_story", "en"): "create Agile user story for following topic",
    ("create_agile_user_story", "zh"): "为以下主题创建敏捷用户故事",
    ("design_restful_api", "en"): (
        "Design a RESTful API for the following resource. Answer with a markdown table: "
        "| API | Method | Description | Request | Response | Error Response |"
    ),
    ("implement_method", "en"): "Implement the method {name}",
    ("write_test", "en"): "Write test for follow code",
    ("design_plantuml_datastructure", "en"): (
        "Design the data structure of the following classes as a PlantUML class diagram"
    ),
}


def instruction(task: str, language: str = "en", **fields: str) -> str:
    """The instruction for a task in a natural language ('en' or 'zh')."""
    text = _INSTRUCTIONS.get((task, language)) or _INSTRUCTIONS[(task, "en")]
    return text.format(**fields)


def all_instructions() -> dict[str, str]:
    """Every instruction template, keyed `<task>.<language>` (exported with the bundle)."""
    return {f"{task}.{language}": text for (task, language), text in _INSTRUCTIONS.items()}
