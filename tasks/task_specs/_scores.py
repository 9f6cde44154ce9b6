"""Per-record scores beyond format validity, for the specs that report them (evaluate)."""

from __future__ import annotations

import re

from tasks.dsl import api_table, code_units, restful, user_story
from tasks.dsl.api_cells import COLUMNS

_CELL = re.compile(r"row \d+, column ")


def api_table_scores(output: str) -> dict:
    """Cell-level validity of an API table answer and RESTful-lint violations per table."""
    rows = api_table.parse_table(output)
    if not rows:
        return {"cell_valid": 0.0, "restful_violations_per_table": None}
    bad_cells = {p.where for p in api_table.validate(output) if _CELL.search(p.where)}
    tables = len({row["section"] for row in rows})
    return {
        "cell_valid": 1 - len(bad_cells) / (len(rows) * len(COLUMNS)),
        "restful_violations_per_table": len(restful.lint(rows)) / tables,
    }


def story_scores(output: str, _language: str = "") -> dict:
    """Acceptance criteria count of a valid user story (0 when the template is broken)."""
    try:
        return {"ac_count": len(user_story.parse(output).criteria)}
    except user_story.StoryError:
        return {"ac_count": 0}


def syntax_scores(output: str, language: str) -> dict:
    """Whether code parses in its language (Python ast; Java, TypeScript, JavaScript with
    tree-sitter, no ERROR/MISSING node; a method or class body alone counts)."""
    return {"syntax_valid": code_units.syntax_valid(output, language)}
