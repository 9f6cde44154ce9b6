"""DVC's plots page and the gates' Data Docs draw with the network cut off (tasks.offline_pages).

Each page opens in headless Chromium behind a dead proxy with no name resolution, so anything
it would fetch from a CDN fails; the screenshot must not be blank and the DOM must hold what
the libraries draw: one vega chart per plot, one bootstrap-table row per validation run or
expectation, each with its Font Awesome pass/fail icon.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tasks.gates import GateFailed, run_gate
from tasks.offline_pages import OFFLINE_DIR, plots_template, remote_assets, show_plots
from tests.support import REPO

pytestmark = pytest.mark.slow  # real DVC, Great Expectations and Chromium runs

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is missing: `make test` installs Debian's chromium with apt-get",
)
NO_NETWORK = ("--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND")
CHART = re.compile(r'<(?:canvas|svg)\b[^>]*class="marks"')  # what vega draws for each plot
ROW = re.compile(r'<tr\b[^>]*data-index="\d+"[^>]*>(.*?)</tr>', re.S)  # drawn by bootstrap-table
SUCCESS_GREEN = (40, 167, 69)  # bootstrap's text-success and text-danger: the colours of the
DANGER_RED = (220, 53, 69)  # pass and fail icons


def chromium(page: Path, profile: Path, *args: str, window=(1400, 900)) -> str:
    """Open `page` in headless Chromium, offline; return what it printed (the DOM, if asked)."""
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", *NO_NETWORK, f"--user-data-dir={profile}",
        f"--window-size={window[0]},{window[1]}", "--virtual-time-budget=15000", *args,
        page.as_uri(),
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout


def render(page: Path, tmp_path: Path, window=(1400, 900)):
    """The page's DOM after its scripts ran, and its screenshot (a PIL image)."""
    from PIL import Image

    shot = tmp_path / f"{page.stem}.png"
    chromium(page, tmp_path / "profile-shot", f"--screenshot={shot}", window=window)
    dom = chromium(page, tmp_path / "profile-dom", "--dump-dom", window=window)
    with Image.open(shot) as image:
        return dom, image.convert("RGB")


def assert_not_blank(image) -> None:
    from PIL import ImageStat

    assert len(image.getcolors(maxcolors=1 << 20)) > 50, "the page is blank"
    assert max(ImageStat.Stat(image.convert("L")).stddev) > 10, "the page is blank"


def pixels_of(image, colour: tuple[int, int, int]) -> int:
    """Pixels near `colour`: an icon's, none when Font Awesome's font did not load."""
    return sum(
        count
        for count, rgb in image.getcolors(maxcolors=1 << 20)
        if all(abs(c - g) < 30 for c, g in zip(rgb, colour, strict=True))
    )


def status_rows(dom: str) -> list[str]:
    """'passed' / 'failed' for each table row drawn with a status icon, in page order."""
    rows = [row for row in ROW.findall(dom) if "fa-check-circle" in row or "fa-times" in row]
    return ["passed" if "fa-check-circle" in row else "failed" for row in rows]


# DVC's plots page


@pytest.fixture(scope="module")
def plots_repo(tmp_path_factory) -> Path:
    """A DVC repository with this project's dvc.yaml, params.yaml and plot templates, and data
    for every plot: the committed feedback rates, DVCLive logs, two tasks' evaluation bars."""
    from dvclive import Live

    from tasks.evaluate.__main__ import plot_rows

    repo = tmp_path_factory.mktemp("plots-repo")
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(REPO / name, repo / name)
    subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], cwd=repo, check=True)
    if (REPO / ".dvc" / "plots").is_dir():  # the project's own vega templates
        shutil.copytree(REPO / ".dvc" / "plots", repo / ".dvc" / "plots", dirs_exist_ok=True)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    daily = params["ingest_feedback"]["daily"]
    (repo / daily).parent.mkdir(parents=True)
    shutil.copy(REPO / daily, repo / daily)
    live = Live(dir=str(repo / params["finetune"]["live_dir"]), save_dvc_exp=False, dvcyaml=None,
                report=None)  # fmt: skip
    for step in range(4):
        live.log_metric("train/loss", 1.9 - 0.3 * step)
        live.log_metric("train/learning_rate", 2e-4 * (1 - step / 4))
        live.next_step()
    live.end()
    metrics = {
        model: {task: {"primary": value, "format_valid": value} for task in TASKS}
        for model, value in (("base", 0.25), ("tuned", 0.75))
    }
    plots_dir = repo / params["evaluate"]["plots_dir"]
    plots_dir.mkdir(parents=True)
    for task in TASKS:
        (plots_dir / f"{task}.json").write_text(json.dumps(plot_rows(metrics, task, list(metrics))))
    return repo


TASKS = ("implement_method", "write_test")
CHARTS = 2 + len(TASKS) + 1  # loss and learning rate, a bar chart per task, feedback rates


def test_the_plots_template_inlines_vega_and_links_nothing():
    template = plots_template()
    assert "{plot_divs}" in template and "{scripts}" not in template  # DVC's CDN tags left out
    assert not re.search(r"<(script|link)\b[^>]*(src|href)=", template)
    assert "vegaEmbed" in template


@needs_chromium
def test_given_the_repos_plots_when_shown_offline_then_every_chart_draws(plots_repo, tmp_path):
    page = show_plots(tmp_path / "dvc_plots", repo=plots_repo)

    dom, image = render(page, tmp_path, window=(1400, 2600))

    assert len(CHART.findall(dom)) == CHARTS
    assert_not_blank(image)


@needs_chromium
def test_given_dvcs_own_page_when_shown_offline_then_no_chart_draws(plots_repo, tmp_path):
    # The check above means something only if these pages really are offline: DVC's own page,
    # which loads vega from a CDN, draws nothing here.
    cmd = [sys.executable, "-m", "dvc", "plots", "show", "-q", "-o", str(tmp_path / "own")]
    subprocess.run(cmd, cwd=plots_repo, check=True)

    dom, _ = render(tmp_path / "own" / "index.html", tmp_path)

    assert "cdn.jsdelivr.net" in dom and CHART.findall(dom) == []


# Great Expectations Data Docs


@pytest.fixture(scope="module")
def data_docs(tmp_path_factory) -> tuple[Path, dict]:
    """The feedback gate's Data Docs, and its result, for the sample inbox with a secret planted
    in a record: one expectation fails, the others pass."""
    from tasks.ingest_feedback.__main__ import main as ingest
    from tests.ingest_feedback.factory import feedback_params

    root = tmp_path_factory.mktemp("feedback")
    shutil.copytree(REPO / "samples" / "feedback" / "inbox", root / "inbox")
    params = feedback_params(root)
    ingest(["--params", str(root / "params.yaml")])
    records = Path(params.ingest_feedback.records)
    first, *rest = records.read_text().splitlines()
    leaked = json.loads(first) | {"output": "ask ann@example.org"}
    records.write_text("\n".join([json.dumps(leaked), *rest]) + "\n")
    with pytest.raises(GateFailed):
        run_gate("feedback", params)
    reports = Path(params.gates.report_dir)
    return reports / "feedback" / "data_docs", json.loads((reports / "feedback.json").read_text())


def test_given_a_gate_run_when_its_data_docs_are_built_then_no_page_loads_from_the_network(
    data_docs,
):
    site, _ = data_docs
    pages = [p for p in site.rglob("*.html") if not p.is_relative_to(site / "static")]
    assert len(pages) == 3  # index, the suite, the run (each run's site shows that run)

    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert remote_assets(html) == [], page
        local = re.findall(rf'(?:src|href)="([^"]*/{OFFLINE_DIR}/[^"]+)"', html)
        assert len(local) >= 10, page  # bootstrap, jQuery, bootstrap-table, Font Awesome, vega
        assert [href for href in local if not (page.parent / href).is_file()] == [], page


@needs_chromium
def test_given_a_failed_gate_run_when_the_index_opens_offline_then_it_lists_the_run(
    data_docs, tmp_path
):
    site, _ = data_docs

    dom, image = render(site / "index.html", tmp_path)

    assert status_rows(dom) == ["failed"]  # the run's row, with its icon
    assert_not_blank(image)
    assert pixels_of(image, DANGER_RED) > 20, "the fail icon did not draw"


@needs_chromium
def test_given_a_failed_run_when_its_page_opens_offline_then_each_expectation_has_a_row(
    data_docs, tmp_path
):
    site, result = data_docs
    (run,) = (site / "validations").rglob("*.html")

    dom, image = render(run, tmp_path, window=(1400, 1800))

    rows = status_rows(dom)
    assert len(rows) == result["evaluated"]
    assert rows.count("failed") == len(result["failures"]) >= 1
    assert_not_blank(image)
    assert pixels_of(image, SUCCESS_GREEN) > 20, "the pass icons did not draw"
