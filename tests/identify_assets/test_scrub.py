import hashlib
import random

import pytest

from tasks.identify_assets.classify import language_by_path
from tasks.scrub import find_secrets, scrub
from tests.identify_assets.false_positives import FILES, figures
from tests.identify_assets.planted import ALNUM, KINDS, planted_corpus
from tests.support import fake_aws_key_id, fake_github_token, pem_block

AWS_KEY_ID = fake_aws_key_id()
GITHUB_TOKEN = fake_github_token()

SECRETS = [
    (f"key = '{AWS_KEY_ID}'", AWS_KEY_ID, "<KEY>"),
    (f"token: {GITHUB_TOKEN}", GITHUB_TOKEN[:14], "<KEY>"),
    ("SLACK=xoxb-123456789012-abcdefABCDEF", "xoxb-1234", "<KEY>"),
    ('password = "hunter2hunter2"', "hunter2hunter2", "<PASSWORD>"),
    ("url = 'postgres://app:S3cretPw@db:5432/x'", "S3cretPw", "<PASSWORD>"),
    ("write to jane.doe@corp.example.org today", "jane.doe@corp", "<EMAIL>"),
    ("ssh 192.168.10.24 now", "192.168.10.24", "<IP>"),
    ("call +1-415-555-0134 or (415) 555-0199", "555-01", "<PHONE>"),
    (
        "jwt = eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n",
        "eyJhbGciOiJIUzI1NiJ9",
        "<JWT>",
    ),
    (
        pem_block("MIIEowIBAAKCAQEA"),
        "MIIEowIBAAKCAQEA",
        "<PRIVATE_KEY>",
    ),
]


@pytest.mark.parametrize(("text", "secret", "placeholder"), SECRETS)
def test_secret_is_replaced_by_a_typed_placeholder(text, secret, placeholder):
    clean, counts = scrub(text, "java")
    assert secret not in clean
    assert placeholder in clean
    assert sum(counts.values()) >= 1
    assert find_secrets(clean, "java") == []


def test_every_planted_secret_of_every_kind_is_redacted_and_counted():
    corpus = planted_corpus()
    assert len(corpus.secrets) >= 100 and len(KINDS) >= 10
    counted: dict[str, int] = {}
    for path, text in corpus.files.items():
        language = language_by_path(path) or "unknown"
        clean, counts = scrub(text, language)
        for kind, n in counts.items():
            counted[kind] = counted.get(kind, 0) + n
        leaked = [v for v in corpus.values if any(part in clean for part in v.split("\n"))]
        assert leaked == [], f"{path}: {len(leaked)} planted values survived"
        assert find_secrets(clean, language) == [], f"{path}: scrubbing is not idempotent"
    planted = {kind: sum(k == kind for k, _ in corpus.secrets) for kind in KINDS}
    assert counted == planted


def test_recall_is_total_on_planted_secrets_and_no_look_alike_is_touched():
    result = figures()
    print(f"\nscrubber: {result}")  # quotable: shown with -s
    assert result.found == result.planted >= 110
    assert (result.false_positives, result.changed_files) == (0, ())
    assert result.protected >= 30


PASSWORD = "Rq7" + "".join(random.Random(16).choices(ALNUM, k=9)) + "#"  # built, not committed
# issue 16, item 9: secrets that leaked, each in the pattern it was found in
MISSED = [
    (f"// admin console login: admin / password: {PASSWORD}", "java"),
    (f"    # the backup password is {PASSWORD}", "python"),
    (f"<!-- test account password={PASSWORD} -->", "xml"),
    (f'        dataSource.setPassword("{PASSWORD}");', "java"),
    (f'builder.username("app").password("{PASSWORD}").build();', "java"),
    (f'props.put("password", "{PASSWORD}");', "java"),
    (f"props.setProperty('mail.smtp.password', '{PASSWORD}')", "python"),
    (f'const pass = "{PASSWORD}";', "javascript"),
    (f'DB_PASS = "{PASSWORD}"', "python"),
]


@pytest.mark.parametrize(("text", "language"), MISSED)
def test_passwords_in_comments_setters_and_map_entries_are_redacted(text, language):
    clean, counts = scrub(text, language)
    assert PASSWORD not in clean and "<PASSWORD>" in clean
    assert counts == {"PASSWORD": 1}
    assert find_secrets(clean, language) == []


@pytest.mark.parametrize(
    "text",
    [
        "support.email=ann.lee@corp.example.org",
        "  contact: ann.lee@corp.example.org",
        '<a href="mailto:ann.lee@corp.example.org">mail us</a>',
        "https://example.org/signup?email=ann.lee@corp.example.org",
    ],
)
def test_emails_after_an_equals_sign_a_colon_or_mailto_are_redacted(text):
    clean, counts = scrub(text, "properties")
    assert "ann.lee" not in clean and counts == {"EMAIL": 1}


@pytest.mark.parametrize("path", sorted(FILES))
def test_look_alikes_come_out_unchanged(path):
    text, values = FILES[path]
    assert all(value in text for value in values)
    assert scrub(text, language_by_path(path) or "unknown") == (text, {})


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ('String pwd = config.getPassword("db.main");', "java"),
        ("# password: the user's password, never logged", "python"),
        ("    password: String!", "graphql"),
        ("id-token: write", "yaml"),
        ("bypass = 'cache'\ncompass = 'north'\n", "python"),
    ],
)
def test_words_next_to_secret_names_are_not_secrets(text, language):
    assert scrub(text, language) == (text, {})


def test_addresses_and_digests_are_kept_only_in_code_about_them():
    digest = hashlib.sha256(b"abc").hexdigest()
    about = f'import hashlib, ipaddress\nA = "10.20.30.40"\nD = "{digest}"\n'
    plain = f'A = "10.20.30.40"\nD = "{digest}"\n'
    assert scrub(about, "python") == (about, {})
    clean, counts = scrub(plain, "python")
    assert "10.20.30.40" not in clean and digest not in clean
    assert counts == {"HIGH_ENTROPY_STRING": 1, "IP": 1}
    assert scrub(about, "yaml")[1]["IP"] == 1  # config files are never "about addresses"


def test_code_that_only_names_or_references_secrets_is_left_alone():
    code = (
        "this.token = token;\n"
        'String pwd = request.getPassword();\nkey = "${API_KEY}"\n'
        'token_type = "bearer"\n'
        'password_prompt = "Password:"\n'
        'secret = os.environ["APP_SECRET"]\n'
        'token = "NAME"\n'
        "url = 'https://docs.example.org/guide'\n"
    )
    clean, counts = scrub(code, "python")
    assert clean == code
    assert counts == {}


def test_config_values_are_scrubbed_without_quotes_but_references_stay():
    config = "db:\n  password: hunter22\n  api_token: ${API_TOKEN}\n  user: app\n"
    clean, counts = scrub(config, "yaml")
    assert "hunter22" not in clean and "${API_TOKEN}" in clean and "user: app" in clean
    assert counts == {"PASSWORD": 1}


def test_hashes_of_numbers_and_alphabets_are_not_taken_for_keys():
    code = (
        'ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"\n'
        'BIG = "6213413350821416312194420007991306908470147322020121018368e0"\n'
    )
    assert scrub(code, "python") == (code, {})


@pytest.mark.parametrize(
    "text",
    [
        "version 1.2.3.4.5 and v10.0.0.1-beta",
        "bind 127.0.0.1 and 0.0.0.0, mask 255.255.255.0, docs 192.0.2.10",
        "a = +4294967296  # 1 << 32",
        "Decimal('+35236450.6')",
        "released 2024-01-15, build 1234-5678",
    ],
)
def test_versions_numbers_and_reserved_addresses_are_not_personal_data(text):
    assert scrub(text, "text") == (text, {})
