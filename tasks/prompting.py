"""The one prompt function, shared by fine-tuning, evaluation, export and serving."""

from __future__ import annotations

from typing import Any


def user_message(instruction: str, input_text: str = "") -> str:
    """The user turn for an alpaca record: the instruction, then the input after a blank line."""
    instruction, input_text = instruction.strip(), input_text.strip()
    return f"{instruction}\n\n{input_text}" if input_text else instruction


def build_messages(system: str, instruction: str, input_text: str = "") -> list[dict[str, str]]:
    """Chat messages for one record."""
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": user_message(instruction, input_text)})
    return messages


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The model's own chat template applied to `messages`, ending where the answer starts."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
