"""design_plantuml_java_datastructure: a PlantUML class diagram of Java classes, from their
code (the seeds' name for it; design_plantuml_datastructure reads class summaries)."""

from __future__ import annotations

from tasks.dsl import plantuml
from tasks.task_specs import TaskSpec, answer_only

INSTRUCTIONS = {
    "design_plantuml_java_datastructure": {
        "en": (
            "Design the data structure of the following Java classes as a PlantUML class diagram",
            "Draw a PlantUML class diagram (@startuml ... @enduml) of the Java code below, with "
            "its fields, methods and relationships.",
            "Model these Java classes as a PlantUML class diagram.",
        ),
        "zh": (
            "用 PlantUML 类图设计以下 Java 类的数据结构",
            "为下面的 Java 代码画一个 PlantUML 类图（@startuml ... @enduml），"
            "包括字段、方法和关系。",
        ),
    },
}

SPEC = TaskSpec(
    name="design_plantuml_java_datastructure",
    validate=answer_only(plantuml.validate),
    primary_metric="format_valid",
    builders=("tasks.build_dataset.from_spring:java_class_diagrams",),
    instructions=INSTRUCTIONS,
    asset_kinds=("source",),
    answer_language="plantuml",
)
