"""Instruction wordings per task and input kind, in English and Chinese, chosen deterministically.

The first English wording of each kind is the canonical one (the seeds' own where they have one:
`create Agile user story for following topic`, `Implement the method <name>`, `Write test for
follow code`). Which wording and which language a record gets is a hash of the seed, the kind
and the record's key (its assets and input), never a random draw at run time, so a rebuild
yields the same dataset and different records of one file get different wordings.
"""

from __future__ import annotations

import hashlib

from tasks.build_dataset.candidates import Candidate
from tasks.dsl.api_cells import HEADER as _TABLE_FORMAT
from tasks.text import language_of

INSTRUCTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "create_agile_user_story": {
        "en": (
            "create Agile user story for following topic",
            "Write an Agile user story for the topic below, with numbered acceptance criteria.",
            "Turn this topic into a user story: As a / I want / So that, then AC n: with "
            "Given / When / Then.",
            "Draft the user story and its acceptance criteria for the following topic.",
        ),
        "zh": (
            "为以下主题创建敏捷用户故事",
            "请为下面的主题编写一个敏捷用户故事，并列出编号的验收标准。",
            "把这个主题写成用户故事：作为 / 我想 / 以便于，然后用 AC n: 和 假设 / 当 / 于是。",
            "根据以下主题起草用户故事及其验收标准。",
        ),
    },
    "split_user_story_tasks": {
        "en": (
            "Split the following user story into development tasks: for each acceptance "
            "criterion, an Implement task and a Test task.",
            "Break this user story down into numbered development tasks, one Implement and one "
            "Test task per acceptance criterion.",
            "List the development tasks for the user story below (Implement, then Test, for "
            "every AC).",
            "Plan the work for this user story as a task list: Tasks: <title>, then "
            "'n. [AC k] Implement: ...' and 'n. [AC k] Test: ...'.",
        ),
        "zh": (
            "把下面的用户故事拆分为开发任务：每条验收标准一个实现任务和一个测试任务。",
            "将这个用户故事分解为编号的开发任务，每条验收标准对应一个实现任务和一个测试任务。",
            "列出下面用户故事的开发任务（每条 AC 先实现，再测试）。",
            "把这个用户故事的工作计划写成任务列表：任务: <标题>，然后是 "
            "'n. [AC k] 实现: ...' 和 'n. [AC k] 测试: ...'。",
        ),
    },
    "design_restful_api": {
        "en": (
            "Design a RESTful API for the following resource. Answer with a markdown table: "
            + _TABLE_FORMAT,
            "Design the REST endpoints of the resource below as a markdown table with the "
            "columns API, Method, Description, Request, Response and Error Response.",
            "Write the API table for this resource: " + _TABLE_FORMAT,
            "Propose RESTful operations for the following resource, one table row per "
            "operation: " + _TABLE_FORMAT,
        ),
        "zh": (
            "为以下资源设计 RESTful API，用 markdown 表格回答：" + _TABLE_FORMAT,
            "把下面资源的 REST 接口设计成 markdown 表格，列为 API、Method、Description、"
            "Request、Response 和 Error Response。",
            "为这个资源编写 API 表格：" + _TABLE_FORMAT,
        ),
    },
    "design_restful_api.story": {
        "en": (
            "Design a RESTful API that implements the following user story. Answer with a "
            "markdown table: " + _TABLE_FORMAT,
            "Which REST endpoints does this user story need? Answer with the API table: "
            + _TABLE_FORMAT,
            "Design the API behind the user story below as a markdown table with the columns "
            "API, Method, Description, Request, Response and Error Response.",
        ),
        "zh": (
            "设计实现以下用户故事的 RESTful API，用 markdown 表格回答：" + _TABLE_FORMAT,
            "这个用户故事需要哪些 REST 接口？用 API 表格回答：" + _TABLE_FORMAT,
        ),
    },
    "design_plantuml_datastructure": {
        "en": (
            "Design the data structure of the following classes as a PlantUML class diagram",
            "Draw a PlantUML class diagram (@startuml ... @enduml) of the classes below, with "
            "their fields, methods and relationships.",
            "Model these classes as a PlantUML class diagram.",
            "Write the PlantUML domain model for the following classes.",
        ),
        "zh": (
            "用 PlantUML 类图设计以下类的数据结构",
            "为下面的类画一个 PlantUML 类图（@startuml ... @enduml），包括字段、方法和关系。",
            "把这些类建模为 PlantUML 类图。",
        ),
    },
    "design_plantuml_datastructure.api": {
        "en": (
            "Design the data structures behind the following API table as a PlantUML class diagram",
            "Model the request and response bodies of this API as a PlantUML class diagram.",
            "Draw the PlantUML domain model (@startuml ... @enduml) that the API below exchanges.",
        ),
        "zh": (
            "用 PlantUML 类图设计以下 API 表格背后的数据结构",
            "把这个 API 的请求和响应数据建模为 PlantUML 类图。",
        ),
    },
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


def _fraction(*parts: object) -> float:
    digest = hashlib.sha256("\0".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def instruction_language(key: str, seed: int, zh_share: float) -> str:
    """'zh' for a `zh_share` fraction of keys, else 'en' (deterministic by seed and key)."""
    return "zh" if _fraction(seed, "language", key) < zh_share else "en"


def instruction(kind: str, language: str, key: str, seed: int, **fields: str) -> str:
    """One wording of the kind's instruction in `language`, chosen by a hash of seed and key."""
    wordings = INSTRUCTIONS[kind].get(language) or INSTRUCTIONS[kind]["en"]
    index = int(_fraction(seed, kind, key) * len(wordings))
    return wordings[index].format(**fields)


def all_instructions() -> dict[str, list[str]]:
    """Every wording, keyed `<kind>.<language>` (canonical first; exported with the bundle)."""
    return {
        f"{kind}.{language}": list(wordings)
        for kind, by_language in INSTRUCTIONS.items()
        for language, wordings in by_language.items()
    }


def assign(candidates: list[Candidate], seed: int, zh_share: float) -> None:
    """Give each candidate its instruction wording and language, in place (given ones stay)."""
    for c in candidates:
        if c.instruction:
            c.instruction_language = c.instruction_language or language_of(c.instruction)
            continue
        language = c.natural_language or instruction_language(c.key, seed, zh_share)
        c.instruction = instruction(c.kind or c.task, language, c.key, seed, **c.fields)
        c.instruction_language = language
