import pytest

from tasks.identify_assets.scrub import find_secrets, scrub

SECRETS = [
    ("key = 'AKIAIOSFODNN7EXAMPLE'", "AKIAIOSFODNN7EXAMPLE", "<KEY>"),
    ("token: ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghij", "<KEY>"),
    ("SLACK=xoxb-123456789012-abcdefABCDEF", "xoxb-1234", "<KEY>"),
    ('password = "hunter2hunter2"', "hunter2hunter2", "<PASSWORD>"),
    ("url = 'postgres://app:S3cretPw@db:5432/x'", "S3cretPw", "<PASSWORD>"),
    ("write to jane.doe@corp.example.org today", "jane.doe@corp", "<EMAIL>"),
    ("ssh 192.168.10.24 now", "192.168.10.24", "<IP>"),
    (
        "jwt = eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n",
        "eyJhbGciOiJIUzI1NiJ9",
        "<JWT>",
    ),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
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


def test_code_that_only_names_secrets_is_left_alone():
    code = "this.token = token;\nString pwd = request.getPassword();\nkey = '${API_KEY}'\n"
    clean, counts = scrub(code, "java")
    assert clean == code
    assert counts == {}


def test_config_values_are_scrubbed_without_quotes():
    clean, counts = scrub("db:\n  password: hunter22\n", "yaml")
    assert "hunter22" not in clean
    assert counts == {"PASSWORD": 1}


def test_version_numbers_are_not_ip_addresses():
    clean, _ = scrub("version 1.2.3.4.5 and v10.0.0.1-beta", "text")
    assert "1.2.3.4.5" in clean
