"""design_plantuml_datastructure: a PlantUML class diagram of classes (from their
summaries), of an API's bodies, or of a hand-written diagram's class list."""

from __future__ import annotations

from tasks.dsl import plantuml
from tasks.task_specs import TaskSpec, answer_only

INSTRUCTIONS = {
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
}

SPEC = TaskSpec(
    name="design_plantuml_datastructure",
    validate=answer_only(plantuml.validate),
    primary_metric="format_valid",
    builders=(
        "tasks.build_dataset.assets:api_records",
        "tasks.build_dataset.assets:diagram_records",
        "tasks.build_dataset.assets:source_records",
    ),
    instructions=INSTRUCTIONS,
    asset_kinds=("plantuml", "openapi", "source"),
    answer_language="plantuml",
)
