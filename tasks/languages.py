"""Programming languages as step 1 names them: shared by its classification and the scrubber."""

from __future__ import annotations

CODE_LANGUAGES = frozenset({
    "java", "kotlin", "scala", "groovy", "python", "javascript", "typescript", "go", "rust",
    "csharp", "ruby", "php", "swift", "c", "cpp", "sql", "shell", "powershell",
})  # fmt: skip
