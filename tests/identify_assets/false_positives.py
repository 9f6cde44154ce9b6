"""A corpus of things that look like secrets or personal data and are not, with the scrubber's
recall on the planted corpus and its false positives on this one.

Every file is our own code in the pattern seen in public repositories (issue 16): it must come
out of the scrubber unchanged. Digests are computed at run time. `python -m
tests.identify_assets.false_positives` prints the figures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from tasks.identify_assets.classify import language_by_path
from tasks.scrub import scrub
from tests.identify_assets.planted import planted_corpus


def _digests() -> dict[str, str]:
    return {name: hashlib.new(name, b"abc").hexdigest() for name in ("md5", "sha1", "sha256")}


def _hash_suite() -> tuple[str, list[str]]:
    digests = _digests()
    lines = [
        "import hashlib",
        "import unittest",
        "",
        "",
        "class HashVectors(unittest.TestCase):",
        *(
            f"    def test_{name}(self):\n"
            f"        self.assertEqual(hashlib.{name}(b'abc').hexdigest(),\n"
            f"                         '{digest}')\n"
            for name, digest in digests.items()
        ),
    ]
    return "\n".join(lines) + "\n", list(digests.values())


def _java_digest_test() -> tuple[str, list[str]]:
    digest = _digests()["sha256"]
    text = (
        "class ChecksumTest {\n"
        "    @Test\n"
        "    void sha256OfAbc() throws Exception {\n"
        '        MessageDigest md = MessageDigest.getInstance("SHA-256");\n'
        f'        assertEquals("{digest}", hex(md.digest("abc".getBytes())));\n'
        "    }\n"
        "}\n"
    )
    return text, [digest]


ADDRESS_SUITE = """import ipaddress
import unittest


class AddressTests(unittest.TestCase):
    def test_private_and_global(self):
        self.assertTrue(ipaddress.ip_address("192.168.1.1").is_private)
        self.assertTrue(ipaddress.ip_address("8.8.8.8").is_global)
        self.assertEqual(str(ipaddress.ip_network("10.0.0.0/8")[1]), "10.0.0.1")

    def test_packed(self):
        self.assertEqual(ipaddress.IPv4Address("1.2.3.4").packed, b"\\x01\\x02\\x03\\x04")
        self.assertIn(ipaddress.ip_address("172.16.5.4"), ipaddress.ip_network("172.16.0.0/12"))
"""

FILES: dict[str, tuple[str, list[str]]] = {
    # Retina image names are not e-mail addresses.
    "ios/AppIcon.appiconset/Contents.json": (
        '{\n  "images": [\n'
        '    {"size": "20x20", "scale": "2x", "filename": "Icon-App-20x20@2x.png"},\n'
        '    {"size": "20x20", "scale": "3x", "filename": "Icon-App-20x20@3x.png"},\n'
        '    {"size": "29x29", "scale": "2x", "filename": "Icon-App-29x29@2x.png"}\n'
        "  ]\n}\n",
        ["Icon-App-20x20@2x.png", "Icon-App-20x20@3x.png", "Icon-App-29x29@2x.png"],
    ),
    "docs/branding.md": (
        "# Branding\n\nUse ![logo](img/logo@2x.png) on dark backgrounds, logo@3x.webp on TVs.\n",
        ["logo@2x.png", "logo@3x.webp"],
    ),
    # A GraphQL schema declares fields, it assigns no values.
    "api/schema.graphql": (
        "type User {\n  id: ID!\n  email: String!\n  password: String!\n  token: String\n}\n\n"
        "input LoginInput {\n  username: String!\n  password: String!\n}\n\n"
        "type Mutation {\n  signIn(input: LoginInput!): AuthPayload\n"
        "  resetPassword(token: String!, password: String!): Boolean\n}\n",
        ["password: String!", "token: String!"],
    ),
    # Four-part dependency versions are not IPv4 addresses.
    "build/pom.xml": (
        "<dependency>\n  <groupId>org.xerial</groupId>\n  <artifactId>sqlite-jdbc</artifactId>\n"
        "  <version>3.36.0.3</version>\n</dependency>\n",
        ["3.36.0.3"],
    ),
    "build/build.gradle": (
        "dependencies {\n    implementation 'org.xerial:sqlite-jdbc:3.36.0.3'\n"
        '    implementation("com.h2database:h2:2.1.214")\n}\n',
        ["3.36.0.3"],
    ),
    "build/gradle.properties": (
        "sqliteVersion=3.36.0.3\norg.gradle.jvmargs=-Xmx2g\n",
        ["3.36.0.3"],
    ),
    "web/package.json": (
        '{\n  "name": "ledger-web",\n  "dependencies": {"sqlite3": "^3.36.0.3"}\n}\n',
        ["3.36.0.3"],
    ),
    "requirements.txt": ("pysqlite3==3.36.0.3\nrequests>=2.31.0.1\n", ["3.36.0.3", "2.31.0.1"]),
    # An address test suite's addresses are test data, not somebody's machine.
    "tests/test_addresses.py": (
        ADDRESS_SUITE,
        ["192.168.1.1", "8.8.8.8", "10.0.0.1", "1.2.3.4", "172.16.5.4"],
    ),
    # Hash test suites' expected digests are not keys.
    "tests/test_hashes.py": _hash_suite(),
    "src/test/java/ChecksumTest.java": _java_digest_test(),
    # GitHub Actions permissions name a token, they hold none.
    ".github/workflows/release.yml": (
        "permissions:\n  id-token: write\n  contents: read\n  pull-requests: write\n"
        "jobs:\n  publish:\n    steps:\n      - uses: actions/checkout@v4\n"
        "        with:\n          token: ${{ secrets.GITHUB_TOKEN }}\n",
        ["id-token: write", "pull-requests: write"],
    ),
    # URL user names, which the e-mail rule used to protect by skipping anything after = or :.
    "config/remotes.ini": (
        "[remote]\nurl = https://git@github.com/acme/ledger.git\n"
        "mirror = https://oauth2:$CI_TOKEN@gitlab.example.com/acme/ledger.git\n"
        "deploy = ssh://deploy@build.example.com:22/srv/ledger\n",
        ["git@github.com", "$CI_TOKEN@gitlab.example.com", "deploy@build.example.com"],
    ),
    "tests/test_netloc.py": (
        "def test_netloc():\n"
        '    netloc = urlsplit("//User:Pass@www.example.org:80/").netloc\n'
        '    assert netloc == "User:Pass@www.example.org:80"\n',
        ["User:Pass@www.example.org:80"],
    ),
    "src/db.py": (
        'DSN = "postgresql://app:${DB_PASSWORD}@db.example.com:5432/ledger"\n',
        ["app:${DB_PASSWORD}@db.example.com"],
    ),
    # Code and comments that talk about passwords without holding one.
    "src/auth.py": (
        "def login(user: str, password: str) -> bool:\n"
        "    # password: the user's password, hashed before it is compared\n"
        "    bypass = 'cache'\n"
        "    user_pass = '%s:%s' % (user, password)\n"
        "    compass = 'north'\n"
        "    if not password:\n"
        "        pass\n"
        "    return check(user, password)\n",
        ["password: str", "bypass = 'cache'", "'%s:%s'", "compass = 'north'"],
    ),
    "src/Auth.java": (
        "class Auth {\n"
        "    // password: String, never logged\n"
        "    String password = request.getPassword();\n"
        '    String stored = config.getPassword("db.main");\n'
        "    void set(String pass) { this.pass = pass; }\n"
        "}\n",
        ['getPassword("db.main")', "this.pass = pass"],
    ),
}


@dataclass(frozen=True)
class Figures:
    """The scrubber's recall on planted secrets and false positives on this corpus."""

    found: int
    planted: int
    false_positives: int
    protected: int
    changed_files: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"recall {self.found}/{self.planted}, "
            f"false positives {self.false_positives}/{self.protected}"
        )


def _scrubbed(path: str, text: str) -> str:
    return scrub(text, language_by_path(path) or "unknown")[0]


def figures() -> Figures:
    """Planted secrets removed, and protected values altered (with the files that changed)."""
    corpus = planted_corpus()
    clean = {path: _scrubbed(path, text) for path, text in corpus.files.items()}
    found = sum(
        not any(part in clean[path] for part in value.split("\n"))
        for (_, value), path in zip(corpus.secrets, corpus.paths, strict=True)
    )
    false_positives, changed = 0, []
    for path, (text, values) in FILES.items():
        after = _scrubbed(path, text)
        false_positives += sum(after.count(value) < text.count(value) for value in values)
        if after != text:
            changed.append(path)
    protected = sum(len(values) for _, values in FILES.values())
    return Figures(found, len(corpus.secrets), false_positives, protected, tuple(changed))


if __name__ == "__main__":
    print(figures())
