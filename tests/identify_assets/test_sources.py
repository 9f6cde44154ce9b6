import os
import subprocess
import time

import boto3
import pytest
from pydantic import ValidationError

from tasks.identify_assets.sources import RACY_NS, SourceError, iter_source, stat_fingerprint
from tasks.params import DirSource, GitSource, IdentifyAssetsParams, S3Source


@pytest.fixture
def filters(repo_params):
    return repo_params.identify_assets.filters


def listed(source, filters, name="s"):
    return {item.path: item for item in iter_source(name, source, filters)}


def git(cwd, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_a_directory_walk_survives_deep_trees_loops_pipes_and_odd_names(tmp_path, filters):
    deep = tmp_path / "/".join(["d"] * 300)
    deep.mkdir(parents=True)
    (deep / "bottom.py").write_text("x = 1\n")
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")
    os.mkfifo(tmp_path / "queue")
    (tmp_path / os.fsdecode(b"caf\xe9.py")).write_text("y = 2\n")

    items = listed(DirSource(type="dir", path=str(tmp_path)), filters)

    assert items["/".join(["d"] * 300) + "/bottom.py"].data == b"x = 1\n"
    assert items["d/loop"].reason == "symlink: not followed"
    assert items["queue"].reason.startswith("not_regular_file")
    assert items["caf\\xe9.py"].data == b"y = 2\n"  # shown escaped, read from the real name


def test_a_missing_directory_is_a_clear_error_naming_the_source(tmp_path, filters):
    with pytest.raises(SourceError, match="source 'gone'.*does not exist"):
        listed(DirSource(type="dir", path=str(tmp_path / "nope")), filters, name="gone")


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "fees.py").write_text("def fee():\n    return 1\n")
    (root / "src" / "big.txt").write_text("x" * 2_000_000)
    (root / ".gitignore").write_text("*.log\n")
    os.symlink("fees.py", root / "src" / "alias.py")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    (root / "src" / "fees.py").write_text("def fee():\n    return 2  # not committed\n")
    (root / "src" / "draft.py").write_text("draft = True\n")  # untracked
    (root / "debug.log").write_text("ignored\n")
    return root


def test_a_git_source_reads_only_tracked_files_at_the_commit(repo, filters):
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()

    items = listed(GitSource(type="git", path=str(repo)), filters)

    assert sorted(items) == [".gitignore", "src/alias.py", "src/big.txt", "src/fees.py"]
    assert items["src/fees.py"].data == b"def fee():\n    return 1\n"  # committed content
    assert {item.commit for item in items.values()} == {head}
    assert items["src/alias.py"].reason == "symlink: not followed"
    assert items["src/big.txt"].reason.startswith("too_large")


def test_a_file_whose_fingerprint_the_caller_knows_is_listed_but_not_read(repo, filters):
    first = listed(GitSource(type="git", path=str(repo)), filters)
    fees = first["src/fees.py"].fingerprint

    again = {
        item.path: item
        for item in iter_source(
            "s",
            GitSource(type="git", path=str(repo)),
            filters,
            unchanged=lambda path, fingerprint: (path, fingerprint) == ("src/fees.py", fees),
        )
    }

    assert fees.startswith("git:") and first["src/fees.py"].data is not None
    assert again["src/fees.py"].data is None and again["src/fees.py"].reason is None
    assert again["src/fees.py"].fingerprint == fees
    assert again[".gitignore"].data == b"*.log\n"  # other files are still read


def test_a_stat_fingerprint_changes_with_the_bytes_and_is_withheld_while_racy(tmp_path):
    path = tmp_path / "a.py"
    path.write_text("x = 1\n")
    info = os.stat(path)
    later = time.time_ns() + RACY_NS + 1

    assert stat_fingerprint(info, time.time_ns()) is None  # written this instant: not trusted
    assert stat_fingerprint(info, later) == stat_fingerprint(os.stat(path), later)
    time.sleep(0.05)
    path.write_text("x = 2\n")  # same size; even with the old mtime put back, ctime moves
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert stat_fingerprint(os.stat(path), later + RACY_NS) != stat_fingerprint(info, later)


def test_a_folder_that_is_not_a_git_repository_is_a_clear_error(tmp_path, filters):
    with pytest.raises(SourceError, match="source 'repo'"):
        listed(GitSource(type="git", path=str(tmp_path)), filters, name="repo")


@pytest.fixture(scope="module")
def s3_endpoint():
    """A local S3-compatible server (moto) on a free port, spoken to over HTTP."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket="acme-assets")
    objects = {
        "repos/api/": b"",  # a folder marker, not a file
        "repos/api/svc.py": b"def handler(event):\n    return event\n",
        "repos/api/Test.java": b"class Test { void t() {} }\n",
        "repos/api/node_modules/lib.js": b"module.exports = 1;\n",
        "repos/api/logo.png": b"\x89PNG\x00\x00",
        "repos/other/skip.py": b"x = 1\n",
    }
    for key, body in objects.items():
        client.put_object(Bucket="acme-assets", Key=key, Body=body)
    yield "acme-assets"
    for key in objects:
        client.delete_object(Bucket="acme-assets", Key=key)
    client.delete_bucket(Bucket="acme-assets")


def s3_source(endpoint, **fields):
    return S3Source(
        type="s3",
        path="remote://acme-assets/repos/api",
        bucket=fields.pop("bucket", "acme-assets"),
        prefix="repos/api/",
        endpoint_url=endpoint,
        region="us-east-1",
        **fields,
    )


def test_an_s3_prefix_is_listed_and_read_over_http(bucket, s3_endpoint, filters):
    items = listed(s3_source(s3_endpoint), filters)

    assert sorted(items) == ["Test.java", "logo.png", "node_modules/lib.js", "svc.py"]
    assert items["svc.py"].data.startswith(b"def handler")
    assert items["node_modules/lib.js"].reason.startswith("excluded_dir")
    assert items["logo.png"].data is not None  # binary is decided when processing
    assert items["svc.py"].fingerprint.startswith("s3:")
    known = {path: item.fingerprint for path, item in items.items()}
    again = iter_source("s", s3_source(s3_endpoint), filters, lambda p, f: known.get(p) == f)
    assert all(item.data is None for item in again)  # unchanged objects are not fetched


def test_a_missing_bucket_is_a_clear_error_naming_the_source(bucket, s3_endpoint, filters):
    with pytest.raises(SourceError, match="source 'lake': cannot list s3://no-such-bucket"):
        listed(s3_source(s3_endpoint, bucket="no-such-bucket"), filters, name="lake")


def test_s3_credentials_cannot_be_put_in_params(repo_params):
    step = repo_params.identify_assets.model_dump()
    step["sources"] = {
        "lake": {"type": "s3", "path": "x", "bucket": "b", "aws_secret_access_key": "k"}
    }
    with pytest.raises(ValidationError, match="aws_secret_access_key"):
        IdentifyAssetsParams.model_validate(step)
