"""detect-secrets' plugins, run on the candidate lines the scrubber picks.

Its vendor-token detectors, keyword detector (config files only: in code our name-anchored
rules keep code intact) and high-entropy string detectors, with its own false-positive filters
plus one of ours: a high-entropy value must look random (digits and several letters), so number
literals and alphabets stay. No verification call ever leaves the machine: plugins are used
through `analyze_string`, which never verifies.
"""

from __future__ import annotations

import re
from functools import cache

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.filters import heuristic
from detect_secrets.plugins import keyword
from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
from detect_secrets.plugins.keyword import KeywordDetector

# Vendor token prefixes (lower-case) that send a line to detect-secrets' plugins, besides long
# quoted tokens (code) or long tokens (config files, where values come unquoted).
PLUGIN_NEEDLES = (
    "accountkey=", "cloudant", "gldt-", "glrt-", "glcbt-", "glptt-", "gloas-", "gr1348941",
    "t3blbkfj", "pypi-ag", "sg.", "softlayer", "sq0", "npm_", "_authtoken",
)  # fmt: skip
# Our rules cover these better (whole key blocks, private IPs, URL passwords).
_SKIPPED_PLUGINS = {"PrivateKeyDetector", "IPPublicDetector", "BasicAuthDetector"}
_PLUGIN_KINDS = {
    "Secret Keyword": ("PASSWORD", "<PASSWORD>"),
    "Base64 High Entropy String": ("HIGH_ENTROPY_STRING", "<KEY>"),
    "Hex High Entropy String": ("HIGH_ENTROPY_STRING", "<KEY>"),
    "JSON Web Token": ("JWT", "<JWT>"),
}


@cache
def _plugins() -> tuple:
    classes = get_mapping_from_secret_type_to_class().values()
    return tuple(cls() for cls in classes if cls.__name__ not in _SKIPPED_PLUGINS)


def _random_like(plugin, value: str) -> bool:
    """High entropy and mixed: digits and several letters (not a number, not an alphabet)."""
    letters = {c for c in value if c.isalpha()}
    return (
        len(letters) >= 3
        and any(c.isdigit() for c in value)
        and plugin.calculate_shannon_entropy(value) > plugin.entropy_limit
    )


def plugin_findings(line: str, config: bool) -> list[tuple[str, str, str]]:
    """(kind, placeholder, secret) that detect-secrets finds in one line, after its filters."""
    found = []
    for plugin in _plugins():
        if isinstance(plugin, KeywordDetector):
            # In code our name-anchored rules do this job and keep code intact.
            if not config:
                continue
            values = list(plugin.analyze_string(line, keyword.CONFIG_DENYLIST_REGEX_TO_GROUP))
            if values and heuristic.is_indirect_reference(line):  # costly: only when needed
                continue
        else:
            values = plugin.analyze_string(line)
        for value in values:
            if (
                len(value) < 4
                or heuristic.is_templated_secret(value)
                or heuristic.is_prefixed_with_dollar_sign(value)
                or heuristic.is_sequential_string(value)
                or heuristic.is_potential_uuid(value)
                or heuristic.is_not_alphanumeric_string(value)
                or heuristic.is_likely_id_string(value, line, plugin)
                or (
                    isinstance(plugin, HighEntropyStringsPlugin) and not _random_like(plugin, value)
                )
            ):
                continue
            kind, placeholder = _PLUGIN_KINDS.get(
                plugin.secret_type, (re.sub(r"\W+", "_", plugin.secret_type).upper(), "<KEY>")
            )
            found.append((kind, placeholder, value))
    return found
