"""split_user_story_tasks: a user story split into development tasks, an Implement and
a Test task per acceptance criterion."""

from __future__ import annotations

from tasks.dsl import task_list
from tasks.task_specs import TaskSpec, answer_only
from tasks.text import language_of

INSTRUCTIONS = {
    "split_user_story_tasks": {
        "en": (
            "Split the following user story into development tasks: for each acceptance "
            "criterion, an Implement task and a Test task.",
            "Break this user story down into numbered development tasks, one Implement and one "
            "Test task per acceptance criterion.",
            "List the development tasks for the user story below (Implement, then Test, for "
            "every AC).",
            "Plan the work for this user story as a task list: Tasks: <title>, then 'n. [AC k] "
            "Implement: ...' and 'n. [AC k] Test: ...'.",
        ),
        "zh": (
            "把下面的用户故事拆分为开发任务：每条验收标准一个实现任务和一个测试任务。",
            "将这个用户故事分解为编号的开发任务，每条验收标准对应一个实现任务和一个测试任务。",
            "列出下面用户故事的开发任务（每条 AC 先实现，再测试）。",
            "把这个用户故事的工作计划写成任务列表：任务: <标题>，然后是 "
            "'n. [AC k] 实现: ...' 和 'n. [AC k] 测试: ...'。",
        ),
    },
}

SPEC = TaskSpec(
    name="split_user_story_tasks",
    validate=answer_only(task_list.validate),
    primary_metric="format_valid",
    builders=("tasks.build_dataset.assets:story_records",),
    instructions=INSTRUCTIONS,
    asset_kinds=("user_story",),
    answer_language=language_of,
    standards="story_input",
)
