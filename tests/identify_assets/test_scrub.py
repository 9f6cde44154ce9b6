import pytest

from tasks.identify_assets.classify import language_by_path
from tasks.identify_assets.scrub import find_secrets, scrub
from tests.identify_assets.planted import KINDS, planted_corpus
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
