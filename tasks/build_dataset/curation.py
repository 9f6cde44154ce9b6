"""Curation by standards: an answer that breaks our standards never becomes a record.

A model learns the habits of its data, good and bad: a code LoRA trained on a controller
mapped to `/createPost` learns to put verbs in URIs. So before a candidate becomes a record,
its answer is held to the standards in `build_dataset.curation` (thresholds in params), and
each broken standard is a reject reason, counted in the dataset card and checked again by the
dataset gate. Which standards apply to a task is its spec's `standards` (tasks/task_specs):

- `non_restful`: an API table answer, or a route a code answer declares or calls (a Spring
  mapping, a MockMvc request, a FastAPI / Flask decorator), breaks one of the listed RESTful
  rules (tasks/dsl/restful.py: a verb in a path, a method that contradicts the action, a
  singular collection, a success code that contradicts the method, ...);
- `code_smell`: a code answer (implement_method, write_test, the Spring tasks) has a function
  whose cyclomatic complexity, length (lines of code) or parameter count is above its
  threshold, measured by lizard;
- `thin_story`: a story answer (create_agile_user_story), or the story a task list is split
  from (split_user_story_tasks), has fewer acceptance criteria than the minimum, or one
  without a Then step.
"""

from __future__ import annotations

import re
from functools import cache

from tasks.dsl import api_table, restful, user_story
from tasks.dsl.story_model import Story, StoryError
from tasks.params import CurationParams
from tasks.task_specs import spec

_LIZARD_SUFFIX = {"java": ".java", "python": ".py", "typescript": ".ts", "javascript": ".js"}


def check_rules(standards: CurationParams) -> None:
    """Fail early, with the known names, on a RESTful rule that does not exist."""
    unknown = sorted(set(standards.restful_rules) - set(restful.RULES))
    if unknown:
        raise SystemExit(
            f"unknown build_dataset.curation.restful_rules {unknown}; "
            f"known: {', '.join(restful.RULES)}"
        )


# Routes a code answer declares or calls: Spring mapping annotations, MockMvc / test clients,
# FastAPI / Flask decorators. (method or "", path)
_SPRING_MAPPING = re.compile(
    r'@(Get|Post|Put|Patch|Delete|Request)Mapping\(\s*(?:(?:value|path)\s*=\s*)?\{?\s*"(/[^"]*)"'
)
_CALL = re.compile(r"""\b(get|post|put|patch|delete|route)\(\s*["'](/[^"']*)["']""", re.I)


def _routes(code: str) -> list[dict[str, str]]:
    found = _SPRING_MAPPING.findall(code) + _CALL.findall(code)
    methods = {"request": "", "route": ""}
    return [
        {"API": path, "Method": methods.get(verb.lower(), verb.upper()), "Response": ""}
        for verb, path in found
    ]


def _restful(rows: list[dict[str, str]], rules: list[str], routes: bool = False) -> str | None:
    for row in rows:
        for problem in restful.lint([row]):
            if problem.message.partition(":")[0] in rules:
                where = f"route {row['Method'] or 'to'} {row['API']}" if routes else problem.where
                return f"non_restful: {where}: {problem.message}"
    return None


@cache
def _lizard():  # imported once per process, and only when a code answer is curated
    from lizard import analyze_file

    return analyze_file


def _smell(output: str, language: str, standards: CurationParams) -> str | None:
    suffix = _LIZARD_SUFFIX.get(language)
    if suffix is None:
        return None
    for function in _lizard().analyze_source_code(f"answer{suffix}", output).function_list:
        found = [
            (function.cyclomatic_complexity, standards.max_ccn, "cyclomatic complexity",
             "max_ccn"),
            (function.nloc, standards.max_function_lines, "lines of code", "max_function_lines"),
            (function.parameter_count, standards.max_parameters, "parameters", "max_parameters"),
        ]  # fmt: skip
        for value, limit, what, name in found:
            if value > limit:
                return f"code_smell: {function.name}: {what} {value} > {name} {limit} (lizard)"
    return None


def _thin(story: Story, minimum: int) -> str | None:
    if len(story.criteria) < minimum:
        return (
            f"thin_story: {len(story.criteria)} acceptance criteria < "
            f"min_acceptance_criteria {minimum}"
        )
    for criterion in story.criteria:
        if not criterion.then:
            return f"thin_story: acceptance criterion '{criterion.name}' has no Then"
    return None


def _story(text: str) -> Story | None:
    try:
        return user_story.parse(text)
    except StoryError:
        return None


def standards_problem(
    task: str, input_text: str, output: str, language: str, standards: CurationParams
) -> str | None:
    """The first standard a (valid) answer breaks, as a reject reason, or None."""
    kind = spec(task).standards
    if kind == "api_table":
        return _restful(api_table.parse_table(output), standards.restful_rules)
    if kind == "code":  # a route it declares or calls, then its functions' size
        routes = _restful(_routes(output), standards.restful_rules, routes=True)
        return routes or _smell(output, language, standards)
    if kind == "story":
        story = _story(output)
    elif kind == "story_input":
        story = _story(input_text)
    else:
        return None
    return _thin(story, standards.min_acceptance_criteria) if story else None
