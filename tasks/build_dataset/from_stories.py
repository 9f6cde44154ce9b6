"""Candidates from user stories: the story from its topic, its task list, and its API.

create_agile_user_story is reverse generation: the stories exist, their topics do not, so a
story's topic is its title (a Gherkin `Feature:` line or a markdown heading). The opposite
direction (story -> topic) is not a task: it would teach the model to copy the first line.
design_restful_api (kind `.story`) pairs an English story with an API section only when the
story's title or goal names that resource; the table is the section as documented.
"""

from __future__ import annotations

import re

from tasks.build_dataset.candidates import Built, Candidate, Reject
from tasks.build_dataset.from_api import API, Section
from tasks.dsl import api_table, task_list, user_story
from tasks.dsl.user_story import Story

STORY = "create_agile_user_story"
SPLIT = "split_user_story_tasks"


def read_stories(asset_id: str, language: str, text: str) -> tuple[list[Story], list[Reject]]:
    """Stories of a Gherkin or markdown asset (a reject when it does not parse or holds none)."""
    try:
        if language == "gherkin":
            stories = user_story.from_gherkin(text)
        else:
            stories = user_story.from_markdown(text)
    except user_story.StoryError as exc:
        return [], [Reject(asset_id, STORY, f"unparseable: {exc}")]
    if not stories:
        return [], [Reject(asset_id, STORY, "no user story found")]
    return stories, []


def from_story(asset_id: str, story: Story) -> Built:
    """create_agile_user_story (topic -> story) and split_user_story_tasks (story -> tasks)."""
    rendered = user_story.render(story)
    common = {"assets": (asset_id,), "natural_language": story.language}
    return Built(
        [
            Candidate(STORY, story.title, rendered, story.language, **common),
            Candidate(SPLIT, rendered, task_list.render(story), story.language, **common),
        ]
    )


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _words(text: str) -> set[str]:
    return {_singular(word) for word in re.findall(r"[a-z]+", text.lower())}


def names_resource(story: Story, section: str) -> bool:
    """Whether the story's title or goal names every word of the resource (plurals aside)."""
    wanted = _words(section)
    return bool(wanted) and wanted <= _words(f"{story.title} {story.goal}")


def stories_to_apis(stories: list[tuple[str, Story]], sections: list[Section]) -> Built:
    """design_restful_api from a user story that names a documented resource: story -> table."""
    built = Built()
    for asset_id, story in stories:
        if story.language != "en":
            continue  # resource names are English; matching Chinese titles would be guesswork
        named = [section for section in sections if names_resource(story, section.name)]
        # A story naming several resources pairs with the most specific one (most words).
        for section in sorted(named, key=lambda s: -len(_words(s.name)))[:1]:
            built.candidates.append(
                Candidate(
                    task=API,
                    input=user_story.render(story),
                    output=api_table.render_table(section.operations),
                    language="markdown",
                    assets=(asset_id, *section.assets),
                    kind=f"{API}.story",
                )
            )
    return built
