"""design_restful_api: a markdown API table (API, Method, Description, Request, Response,
Error Response) for a resource or a user story."""

from __future__ import annotations

from tasks.dsl import api_table
from tasks.dsl.api_cells import HEADER
from tasks.task_specs import TaskSpec, answer_only
from tasks.task_specs._scores import api_table_scores

INSTRUCTIONS = {
    "design_restful_api": {
        "en": (
            "Design a RESTful API for the following resource. Answer with a markdown table: "
            + HEADER,
            "Design the REST endpoints of the resource below as a markdown table with the "
            "columns API, Method, Description, Request, Response and Error Response.",
            "Write the API table for this resource: " + HEADER,
            "Propose RESTful operations for the following resource, one table row per "
            "operation: " + HEADER,
        ),
        "zh": (
            "为以下资源设计 RESTful API，用 markdown 表格回答：" + HEADER,
            "把下面资源的 REST 接口设计成 markdown 表格，列为 API、Method、Description、"
            "Request、Response 和 Error Response。",
            "为这个资源编写 API 表格：" + HEADER,
        ),
    },
    "design_restful_api.story": {
        "en": (
            "Design a RESTful API that implements the following user story. Answer with a "
            "markdown table: " + HEADER,
            "Which REST endpoints does this user story need? Answer with the API table: " + HEADER,
            "Design the API behind the user story below as a markdown table with the columns "
            "API, Method, Description, Request, Response and Error Response.",
        ),
        "zh": (
            "设计实现以下用户故事的 RESTful API，用 markdown 表格回答：" + HEADER,
            "这个用户故事需要哪些 REST 接口？用 API 表格回答：" + HEADER,
        ),
    },
}

SPEC = TaskSpec(
    name="design_restful_api",
    validate=answer_only(api_table.validate),
    primary_metric="cell_valid",
    builders=("tasks.build_dataset.assets:api_records",),
    instructions=INSTRUCTIONS,
    asset_kinds=("openapi", "postman", "user_story"),
    answer_language="markdown",
    scores=lambda output, _language: api_table_scores(output),
    standards="api_table",
    also_fed_by="Spring controllers among the Java sources",
)
