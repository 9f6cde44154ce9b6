"""Request bodies of the OpenAI-compatible API (lenient: unknown OpenAI fields are ignored)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

# JSON may escape half of a UTF-16 surrogate pair ("\ud800"): Python keeps it as a str that no
# tokenizer, hash or UTF-8 file accepts. Refused when the request is read (a 400, see app.py).
UNPAIRED_SURROGATE = "unpaired_surrogate"
_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_surrogates(value: Any) -> Any:
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(t, str) and not t.isascii() and _SURROGATE.search(t) for t in texts):
        raise PydanticCustomError(UNPAIRED_SURROGATE, "text holds an unpaired UTF-16 surrogate")
    return value


class Checked(BaseModel):
    """A request body whose every text field is valid Unicode (no unpaired surrogate)."""

    _texts_are_unicode = field_validator("*")(_refuse_surrogates)


class Lenient(Checked):
    # Clients send many optional OpenAI fields (logprobs, penalties, ...); ignoring them is
    # what lets an IDE plug in without request-format tweaking.
    model_config = ConfigDict(extra="ignore")


class TextPart(Lenient):
    type: str = "text"
    text: str = ""


class Message(Lenient):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[TextPart] | None = ""

    def text(self) -> str:
        """The message's text (content parts joined)."""
        if isinstance(self.content, list):
            return "".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


class StreamOptions(Lenient):
    include_usage: bool = False


class GenerationRequest(Lenient):
    model: str | None = None  # one model is served: any name is answered by it
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float = Field(default=1.0, gt=0, le=1)
    n: int = Field(default=1, ge=1, le=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    stop: str | list[str] | None = None
    user: str | None = None
    task: str | None = None  # our extension: the training task, when the client knows it
    # Our extension: the code's language of implement_method / write_test answers, for their
    # validator when serve.resample is on (unset: an answer valid in any of them passes).
    language: str | None = None

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        from tasks.dsl.code_units import LANGUAGES

        if value is not None and value not in LANGUAGES:
            raise ValueError(f"unsupported language {value!r}; expected one of {LANGUAGES}")
        return value

    def stop_list(self) -> list[str]:
        """Stop strings as a list."""
        return [self.stop] if isinstance(self.stop, str) else list(self.stop or [])


class ChatRequest(GenerationRequest):
    messages: list[Message] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_user_turn(self) -> ChatRequest:
        if not any(m.role == "user" for m in self.messages):
            raise ValueError("messages need at least one user message")
        return self


class CompletionRequest(GenerationRequest):
    prompt: str | list[str] = Field(min_length=1)

    def prompt_text(self) -> str:
        """The one prompt (a list must hold exactly one: n and batching are not supported)."""
        if isinstance(self.prompt, list):
            if len(self.prompt) != 1:
                raise ValueError("prompt lists must hold exactly one prompt")
            return self.prompt[0]
        return self.prompt


class FeedbackRequest(Checked):
    model_config = ConfigDict(extra="forbid")

    completion_id: str = Field(min_length=1)
    action: Literal["accept", "reject", "edit"]
    edited_completion: str | None = None
    event_id: str | None = Field(default=None, min_length=1, max_length=200)
    user: str | None = None
    client: str | None = None

    @model_validator(mode="after")
    def _edit_has_text(self) -> FeedbackRequest:
        if self.action == "edit" and not (self.edited_completion or "").strip():
            raise ValueError("action 'edit' needs a non-empty edited_completion")
        if self.action != "edit" and self.edited_completion:
            raise ValueError("edited_completion is only allowed with action 'edit'")
        return self
