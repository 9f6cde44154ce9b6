"""The served model: one bundle loaded once; whole answers decoded in batches, optional streaming.

Whole (non-streaming) answers go through a batcher: requests that arrive together (within
`batch_window_ms` of the first, or while a batch is decoding) and ask for the same sampling
are decoded as one left-padded batch by `tasks.generation.generate_ids`, the evaluation's own
decode loop, so a served answer is the one evaluation gives for the same prompt, and a batch
of answers costs about what one does on a CPU (the weights are read once per token for every
row: `benchmarks/serve_batching.py`). Streams and batches take turns on one lock.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from tasks.generation import generate_ids, load_model
from tasks.io import read_json
from tasks.prompting import render_prompt
from tasks.registry import verified_bundle


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" (end of turn or a stop string) or "length"


@dataclass
class StreamingCompletion:
    pieces: Iterator[str]
    prompt_tokens: int
    completion_tokens: int = 0
    ended: bool = False  # the model emitted its end-of-turn token
    thread: threading.Thread | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        """Stop generating after the current token (the client went away); idempotent."""
        self.stopping.set()


class _StopWhenSet(StoppingCriteria):
    """A `generate` stopping criterion: stop every row once `event` is set."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **_: Any) -> torch.Tensor:
        return torch.full((input_ids.shape[0],), self.event.is_set(), device=input_ids.device)


class PromptTooLong(ValueError):
    """The prompt plus max_tokens do not fit into the model's context."""


@dataclass(eq=False)  # compared by identity: two equal prompts are two requests
class _Request:
    """One whole answer waiting for its batch."""

    ids: list[int]
    budget: int
    sampling: tuple[float, float]  # (temperature, top_p): only equal ones share a batch
    done: threading.Event = field(default_factory=threading.Event)
    new_ids: list[int] = field(default_factory=list)
    error: BaseException | None = None


class Engine:
    """A bundle's model, tokenizer, prompts and version, ready to answer."""

    def __init__(
        self, bundle: Path, base_model_dir: Path | None = None, batch_size: int = 8,
        batch_window_ms: float = 20.0,
    ) -> None:  # fmt: skip
        self.bundle = verified_bundle(bundle)  # a file that differs from the manifest: refused
        manifest = read_json(bundle / "manifest.json")
        self.version: str = manifest["version"]
        self.prompts: dict = read_json(bundle / "prompts.json")
        if (bundle / "merged" / "config.json").is_file():
            self.model, self.tokenizer = load_model(bundle / "merged")
        elif base_model_dir is not None:
            self.model, self.tokenizer = load_model(base_model_dir, bundle / "adapter")
        else:
            raise ValueError(f"{bundle} has no merged/ model and no base model was given")
        self.context = int(getattr(self.model.config, "max_position_embeddings", 2048))
        self._lock = threading.Lock()  # one decode at a time: a batch or a stream
        self.batch_size, self.batch_window_s = batch_size, batch_window_ms / 1000
        self._queue: list[_Request] = []
        self._queued = threading.Condition()
        self.batches: deque[int] = deque(maxlen=1000)  # rows per decoded batch, newest last
        self._task_prefixes = _task_prefixes(self.prompts.get("instructions", {}))
        threading.Thread(target=self._batch_loop, daemon=True).start()

    def chat_prompt(self, messages: list[dict[str, str]]) -> tuple[str, list[dict[str, str]]]:
        """The templated prompt and the messages it came from (bundle system prompt if none)."""
        if not any(m["role"] == "system" for m in messages) and self.prompts.get("system"):
            messages = [{"role": "system", "content": self.prompts["system"]}, *messages]
        return render_prompt(self.tokenizer, messages), messages

    def task_of(self, messages: list[dict[str, str]]) -> str | None:
        """The training task whose instruction wording opens the last user turn, if any."""
        users = [m["content"] for m in messages if m["role"] == "user"]
        text = users[-1].strip() if users else ""
        return next((task for prefix, task in self._task_prefixes if text.startswith(prefix)), None)

    def _prompt_ids(self, prompt: str, max_tokens: int) -> list[int]:
        ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        if len(ids) + max_tokens > self.context:
            raise PromptTooLong(
                f"the prompt has {len(ids)} tokens; with max_tokens {max_tokens} that exceeds "
                f"the model's context of {self.context} tokens"
            )
        return ids

    def _inputs(self, prompt: str, max_tokens: int) -> dict[str, torch.Tensor]:
        ids = torch.tensor([self._prompt_ids(prompt, max_tokens)], device=self.model.device)
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}

    def _generate_kwargs(self, max_tokens: int, temperature: float, top_p: float) -> dict:
        sampling = temperature > 0
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_tokens,
            "do_sample": sampling,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.tokenizer.eos_token_id,
        }
        if sampling:
            kwargs.update(temperature=temperature, top_p=top_p)
        return kwargs

    def complete(
        self, prompt: str, max_tokens: int, temperature: float = 0.0, top_p: float = 1.0,
        stop: list[str] | None = None,
    ) -> Completion:  # fmt: skip
        """One completion of an already-templated prompt (greedy when temperature is 0),
        decoded in a batch with the requests that arrive with it."""
        ids = self._prompt_ids(prompt, max_tokens)
        request = _Request(ids, max_tokens, (temperature, top_p if temperature > 0 else 1.0))
        with self._queued:
            self._queue.append(request)
            self._queued.notify()
        request.done.wait()
        if request.error is not None:
            raise request.error
        new_ids = request.new_ids
        ended = len(new_ids) < max_tokens  # the decode loop cuts the end-of-turn token
        text = self.tokenizer.decode(new_ids, skip_special_tokens=True).strip()
        text, stopped = cut_at_stop(text, stop)
        return Completion(
            text=text,
            prompt_tokens=len(ids),
            completion_tokens=len(new_ids) + int(ended),  # the end-of-turn token counts
            finish_reason="stop" if ended or stopped else "length",
        )

    def _batch_loop(self) -> None:
        """Forever: wait for a request, let its batch fill for the window, decode it."""
        while True:
            with self._queued:
                while not self._queue:
                    self._queued.wait()
            time.sleep(self.batch_window_s)  # requests sent together arrive within it
            with self._queued:
                sampling = self._queue[0].sampling
                batch = [r for r in self._queue if r.sampling == sampling][: self.batch_size]
                self._queue = [r for r in self._queue if r not in batch]  # by identity
            try:
                with self._lock:  # generate_ids runs under inference_mode
                    outputs = generate_ids(
                        self.model, self.tokenizer, [r.ids for r in batch],
                        [r.budget for r in batch], batch_size=len(batch),
                        temperature=sampling[0], top_p=sampling[1],
                    )  # fmt: skip
                self.batches.append(len(batch))
                for request, new_ids in zip(batch, outputs, strict=True):
                    request.new_ids = new_ids
            except BaseException as exc:  # noqa: BLE001 - each waiting request raises it
                for request in batch:
                    request.error = exc
            finally:
                for request in batch:
                    request.done.set()

    def complete_valid(
        self, prompt: str, max_tokens: int, temperature: float, top_p: float,
        stop: list[str] | None, is_valid: Callable[[str], bool], tries: int,
        retry_temperature: float, retry_top_p: float,
    ) -> tuple[Completion, int, bool]:  # fmt: skip
        """Validate and resample (evaluate's `resample_invalid`, one prompt): the first answer
        `is_valid` accepts among the raw one and up to `tries` samples at the retry
        temperature and top_p, with the generations it took and whether it is valid; when
        none is, the raw answer (and 1 + `tries`, False)."""
        raw = self.complete(prompt, max_tokens, temperature, top_p, stop)
        if is_valid(raw.text):
            return raw, 1, True
        for attempt in range(2, tries + 2):
            # The lock is taken per try: other requests are answered between the tries.
            drawn = self.complete(prompt, max_tokens, retry_temperature, retry_top_p, stop)
            if is_valid(drawn.text):
                return drawn, attempt, True
        return raw, tries + 1, False

    def stream(
        self, prompt: str, max_tokens: int, temperature: float = 0.0, top_p: float = 1.0
    ) -> StreamingCompletion:
        """Start generating in a thread; text pieces arrive on the returned handle."""
        from transformers import TextIteratorStreamer

        inputs = self._inputs(prompt, max_tokens)
        streamer = TextIteratorStreamer(
            self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600
        )
        handle = StreamingCompletion(pieces=streamer, prompt_tokens=inputs["input_ids"].shape[1])
        stop = _StopWhenSet(handle.stopping)

        def run() -> None:
            try:
                with self._lock, torch.inference_mode():
                    if handle.stopping.is_set():
                        return  # cancelled while waiting for the lock
                    output = self.model.generate(
                        **inputs, **self._generate_kwargs(max_tokens, temperature, top_p),
                        streamer=streamer, stopping_criteria=StoppingCriteriaList([stop]),
                    )  # fmt: skip
                new_tokens = output[0, handle.prompt_tokens :]
                handle.completion_tokens = int(new_tokens.shape[0])
                handle.ended = bool((new_tokens == self.tokenizer.eos_token_id).any())
            finally:
                streamer.end()  # unblocks the reader even when generate failed

        handle.thread = threading.Thread(target=run, daemon=True)
        handle.thread.start()
        return handle

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` without special tokens (usage counts of streamed answers)."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])


def cut_at_stop(text: str, stop: list[str] | None) -> tuple[str, bool]:
    """`text` up to the first stop string, and whether one was found."""
    cuts = [text.find(s) for s in stop or [] if s and s in text]
    return (text[: min(cuts)], True) if cuts else (text, False)


def held_back(text: str, stop: list[str] | None) -> int:
    """How many trailing characters of `text` could be the start of a stop string."""
    return max((k for s in stop or [] for k in range(1, len(s)) if text.endswith(s[:k])), default=0)


class StopFilter:
    """Streamed pieces in, text deltas out, cut at the first stop string.

    The possible start of a stop string is held back until the next piece tells whether one
    follows, so a client never receives the first characters of a stop string that was split
    across two pieces. Trailing whitespace is held back too until text follows it: the full
    answer is stripped, so the streamed one must not end in whitespace either.
    """

    def __init__(self, stop: list[str] | None) -> None:
        self.stop, self.text, self.sent, self.stopped = stop, "", 0, False

    def feed(self, piece: str) -> str:
        """The delta that is safe to send after `piece` ("" when nothing new is)."""
        self.text, self.stopped = cut_at_stop((self.text + piece).lstrip(), self.stop)
        if self.stopped:
            safe = len(self.text)  # as the full answer: stripped first, then cut
        else:
            trailing = len(self.text) - len(self.text.rstrip())
            safe = len(self.text) - max(held_back(self.text, self.stop), trailing)
        delta, self.sent = self.text[self.sent : safe], max(self.sent, safe)
        return delta

    def flush(self) -> str:
        """What was held back when the stream ended without a stop string (but trailing
        whitespace)."""
        if not self.stopped:
            self.text = self.text.rstrip()
        delta, self.sent = self.text[self.sent :], len(self.text)
        return delta


def _task_prefixes(instructions: dict[str, list[str]]) -> list[tuple[str, str]]:
    # Keys are "<task>.<language>" or "<task>.<variant>.<language>"; wordings may hold
    # placeholders such as {name}, so only the text before the first one is matched.
    prefixes = [
        (re.split(r"\{\w+\}", wording)[0].strip(), key.split(".")[0])
        for key, wordings in instructions.items()
        for wording in wordings
    ]
    return sorted((p for p in prefixes if p[0]), key=lambda p: -len(p[0]))
