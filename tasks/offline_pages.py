"""Pages that draw without a network: DVC's plots page and Great Expectations Data Docs.

Both tools link their JavaScript and CSS from CDNs: offline, `dvc plots show` gives a blank page
and Data Docs lose their list of results and their pass/fail icons. The same libraries come here
from pip packages instead: vega, vega-lite and vega-embed from django-js-lib-vega-embed (plain
files, no Django needed), bootstrap, jQuery, bootstrap-datepicker and Font Awesome from the
XStatic packages, and bootstrap-table, which no pip package ships, from the copy in
tasks/offline_assets/ (its SOURCE.md says where it comes from).

    python -m tasks.offline_pages plots [--out dvc_plots] [targets...]   # `dvc plots show`, offline
    python -m tasks.offline_pages template PATH   # an HTML template for `plots.html_template`

The gates call `offline_data_docs` on every Data Docs site they build (tasks.gates).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tasks.io import atomic_path

VEGA_SCRIPTS = ("vega5.js", "vega-lite5.js", "vega-embed6.js")  # in load order

# DVC's page (dvc_render.html.PAGE_HTML) without its `{scripts}` placeholder, where DVC puts its
# CDN <script> tags: the libraries are inlined instead, so the page is one file that opens
# anywhere. DVC fills `{plot_divs}` (each plot's div calls vegaEmbed) and `{refresh_tag}`.
PLOTS_PAGE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>DVC Plot</title>
    <!-- vega, vega-lite and vega-embed from the django-js-lib-vega-embed package -->
    <script>SCRIPTS</script>
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


def _vega_dir() -> Path:
    import js_lib_vega_embed

    return Path(js_lib_vega_embed.__file__).parent / "static" / "js_lib_vega_embed"


def plots_template() -> str:
    """A `dvc plots show --html-template` page with vega, vega-lite and vega-embed inlined."""
    scripts = "\n".join((_vega_dir() / name).read_text(encoding="utf-8") for name in VEGA_SCRIPTS)
    # "</script" inside the code would end the element early; "<\/script" means the same in JS.
    return PLOTS_PAGE.replace("SCRIPTS", scripts.replace("</script", "<\\/script"))


def write_plots_template(path: str | Path) -> Path:
    """Write the offline plots template to `path` (for `dvc config plots.html_template`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(plots_template(), encoding="utf-8")
    return Path(path)


def show_plots(
    out: str | Path = "dvc_plots", repo: str | Path = ".", targets: Sequence[str] = ()
) -> Path:
    """Run `dvc plots show` in `repo` with the offline template; return the page's path."""
    out = Path(repo, out).resolve()
    with tempfile.TemporaryDirectory() as scratch:
        template = write_plots_template(Path(scratch) / "offline-plots.html")
        cmd = [sys.executable, "-m", "dvc", "plots", "show", "--html-template", str(template)]
        subprocess.run([*cmd, "--out", str(out), *targets], cwd=repo, check=True)
    return out / "index.html"


# Data Docs: each URL GE 1.24's pages load (render/view/templates/page.j2, js_script_imports.j2)
# -> (package, its file), copied to static/offline/<package>/<file>; None: left out of the page.
_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs/"
_TABLE = "https://unpkg.com/bootstrap-table@1.19.1/dist/"
_TABLE_1190 = "https://unpkg.com/bootstrap-table@1.19.0/dist/"
_FILTER = "extensions/filter-control/bootstrap-table-filter-control"
DATA_DOCS_ASSETS: dict[str, tuple[str, str] | None] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap",
        "css/bootstrap.min.css",
    ),
    # the bundle has Popper in it, so popper.js 1.12.9 (no pip package) is not needed
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap",
        "js/bootstrap.bundle.min.js",
    ),
    f"{_CDNJS}popper.js/1.12.9/umd/popper.min.js": None,
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery", "jquery.min.js"),
    f"{_CDNJS}font-awesome/6.6.0/css/all.min.css": ("font_awesome", "css/all.min.css"),
    f"{_TABLE}bootstrap-table.min.css": ("bootstrap-table", "bootstrap-table.min.css"),
    f"{_TABLE}bootstrap-table.min.js": ("bootstrap-table", "bootstrap-table.min.js"),
    f"{_TABLE}{_FILTER}.min.js": ("bootstrap-table", "bootstrap-table-filter-control.min.js"),
    **dict.fromkeys(  # the CSS comes from 1.19.0, plain or minified
        (f"{_TABLE_1190}{_FILTER}.css", f"{_TABLE_1190}{_FILTER}.min.css"),
        ("bootstrap-table", "bootstrap-table-filter-control.min.css"),
    ),
    # 1.4.0, the newest packaged: the filter control's date picker, with the options GE sets
    f"{_CDNJS}bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap_datepicker",
        "bootstrap-datepicker3.standalone.css",
    ),
    f"{_CDNJS}bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap_datepicker",
        "bootstrap-datepicker.js",
    ),
    # the theme for browsers in dark mode: no package ships it, so offline pages stay light
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": None,
    "https://cdn.jsdelivr.net/npm/vega@5": ("vega", "vega5.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": ("vega", "vega-lite5.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": ("vega", "vega-embed6.js"),
}
# Font Awesome's CSS lists woff2 before ttf: every browser that opens Data Docs takes the woff2.
FONTS = "webfonts/*.woff2"
# GE's logo, linked from its own web server: the copy every site has in static/images.
LOGO = re.compile(
    r"https://great-expectations-web-assets\.s3\.[\w-]+\.amazonaws\.com/[\w-]+\.png(\?[^\"')\s]*)?"
)
REMOTE_TAG = re.compile(
    r"<script\b[^>]*\bsrc=\"(https?://[^\"]+)\"[^>]*>\s*</script>"
    r"|<link\b[^>]*\bhref=\"(https?://[^\"]+)\"[^>]*>"
)
OFFLINE_DIR = "offline"  # under the site's static/


def _package_dir(package: str) -> Path:
    """Where a package keeps the files named in DATA_DOCS_ASSETS."""
    from xstatic.pkg import bootstrap, bootstrap_datepicker, font_awesome, jquery

    if package == "vega":
        return _vega_dir()
    if package == "bootstrap-table":
        return Path(__file__).parent / "offline_assets" / "bootstrap-table-1.19.1"
    xstatic = {"bootstrap": bootstrap, "bootstrap_datepicker": bootstrap_datepicker,
               "font_awesome": font_awesome, "jquery": jquery}  # fmt: skip
    return Path(xstatic[package].BASE_DIR)


def copy_data_docs_assets(static_dir: Path) -> None:
    """Copy every library the Data Docs pages load into `static_dir`/offline/<package>/."""
    fonts = _package_dir("font_awesome")
    files = {asset for asset in DATA_DOCS_ASSETS.values() if asset} | {
        ("font_awesome", font.relative_to(fonts).as_posix()) for font in fonts.glob(FONTS)
    }
    for package, name in sorted(files):
        target = static_dir / OFFLINE_DIR / package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_package_dir(package) / name, target)


def remote_assets(html: str) -> list[str]:
    """The URLs a page still loads from the network (<script src>, <link href>)."""
    return [a or b for a, b in REMOTE_TAG.findall(html)] + [m[0] for m in LOGO.finditer(html)]


def offline_page(html: str, static: str) -> str:
    """The page with its CDN links pointing at `static` (the site's static/, relative)."""

    def local(match: re.Match) -> str:
        url = match[1] or match[2]
        if url not in DATA_DOCS_ASSETS:
            return match[0]  # unknown: left as it is, and reported by remote_assets
        asset = DATA_DOCS_ASSETS[url]
        if asset is None:
            return ""
        href = f"{static}/{OFFLINE_DIR}/{asset[0]}/{asset[1]}"
        if match[1]:
            return f'<script src="{href}"></script>'
        return f'<link rel="stylesheet" href="{href}">'

    html = REMOTE_TAG.sub(local, html)
    return LOGO.sub(f"{static}/images/logo-long.png", html)


def offline_data_docs(site: str | Path) -> list[str]:
    """Make a Data Docs site draw offline; return the remote URLs left (none with GE 1.24)."""
    site = Path(site)
    copy_data_docs_assets(site / "static")
    left: list[str] = []
    for page in sorted(site.rglob("*.html")):
        if page.is_relative_to(site / "static"):
            continue
        static = Path(os.path.relpath(site / "static", page.parent)).as_posix()
        html = page.read_text(encoding="utf-8")
        rewritten = offline_page(html, static)
        if rewritten != html:
            with atomic_path(page) as tmp:
                tmp.write_text(rewritten, encoding="utf-8")
        left += remote_assets(rewritten)
    return sorted(set(left))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Pages that draw without a network.")
    commands = parser.add_subparsers(dest="command", required=True)
    plots = commands.add_parser("plots", help="`dvc plots show` with vega from pip packages")
    plots.add_argument("--out", default="dvc_plots", help="folder of the page (dvc_plots)")
    plots.add_argument("targets", nargs="*", help="plots or plot files (all by default)")
    template = commands.add_parser("template", help="write the offline plots HTML template")
    template.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if args.command == "plots":
        try:
            page = show_plots(args.out, targets=args.targets)
        except subprocess.CalledProcessError as exc:
            raise SystemExit(exc.returncode) from None  # dvc has said what went wrong
        print(f"offline plots page: {page}")
    else:
        print(f"offline plots template: {write_plots_template(args.path)}")


if __name__ == "__main__":
    main()
