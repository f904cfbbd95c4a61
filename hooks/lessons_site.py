"""MkDocs glue, and nothing else: each event hands its work to the site build (site_build/).

Moving to another site generator means rewriting these few functions.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import File
from mkdocs.structure.toc import get_toc
from watchdog.observers.polling import PollingObserver

from engine.settings import SettingError, quick_mode
from site_build import flashcards_page
from site_build.build_cache import compiled_templates
from site_build.figures import dark_variant_of, with_dark_variants
from site_build.lesson_runs import NOTEBOOK_DIR, LessonError, lesson_scripts, run_lessons
from site_build.math import render_math
from site_build.math_font import FONT_URL, math_characters, math_font
from site_build.nav import CODE_SECTION, code_pages, core_pages, narrative_pages
from site_build.notebook_pages import fit_notebook_page, rendered_notebook, search_input
from site_build.pages import FIGURES_URL, PageError, expand, read_minutes
from site_build.practice_cache import practice

log = logging.getLogger("mkdocs.lessons")
# mkdocs-jupyter logs a line for every notebook it converts: noise between the lines that tell a
# reader what the build is doing. Its warnings still show.
logging.getLogger("mkdocs.mkdocs-jupyter").setLevel(logging.WARNING)
DOWNLOADS_URL = "downloads"  # downloads/<script>.py and .ipynb
# `mkdocs serve` looks for edits every half second, so a saved page waits a quarter of a second on
# average before its rebuild even starts. Polling docs/ takes about 0.1 ms, so it is polled far more
# often. Still polling, as MkDocs does, not inotify: polling sees edits on every file system,
# network and container mounts included.
SERVE_POLL_SECONDS = 0.05

_results = {}
_records = {}
_extra = {}
_dark_figures = set()  # "figures/<script>/<name>" of every figure with a variant for the dark scheme
_math_characters = set()  # every character the pages' formulas use: what the math font must hold
_page_minutes = {}  # docs path → minutes to read that page
_practice = None  # the Practice page and the "Practice:" lines (site_build.practice_cache)
_shown_content = {}  # a notebook page's content while the search plugin reads its search_input


def on_config(config):
    global _practice
    docs = Path(config["docs_dir"])
    # What only this process makes (the Practice page's experiments, each new notebook's page)
    # is made while the lesson scripts run: this process only waits for them, and the machine's
    # last core is free as they finish.
    with ThreadPoolExecutor(1) as beside_the_lessons:
        practice_made = beside_the_lessons.submit(practice, docs)
        notebooks = []
        try:
            results = run_lessons(quick=quick_mode(), log=log.info,
                                  on_done=lambda ran: notebooks.append(beside_the_lessons.submit(rendered_notebook, ran.notebook)))
        except (LessonError, SettingError) as err:
            raise PluginError(str(err)) from None
        _practice = practice_made.result()
        for notebook in notebooks:
            notebook.result()
    _results.clear()
    _results.update(results)
    _records.clear()
    _records.update({slug: result.record for slug, result in results.items()})
    # Reading times count what a page displays: its Markdown with the runs' numbers and tables filled in.
    counted = {"read_minutes": 12, "page_reading": "about 5 minutes"}  # stand-ins of the same length in words
    try:
        shown = {page: expand((docs / page).read_text(), _records, page, counted, _practice.line)
                 for page in narrative_pages(config["nav"], docs)}
    except PageError as err:
        raise PluginError(str(err)) from None
    _extra["read_minutes"] = read_minutes([shown[page] for page in core_pages(config["nav"], docs)])
    _page_minutes.clear()
    _page_minutes.update({page: read_minutes([text]) for page, text in shown.items()})
    # `mkdocs serve` may hand a rebuild the nav it already extended
    nav = [item for item in config["nav"] if not (isinstance(item, dict) and CODE_SECTION in item)]
    config["nav"] = nav + [code_pages(lesson_scripts())]
    return config


class NotebookPage(File):
    """A lesson notebook as a page of the site: code/<script>.ipynb is served as code/<script>/."""

    def is_documentation_page(self) -> bool:
        return True


def on_files(files, config):
    _dark_figures.clear()
    for slug, result in _results.items():
        for figure in sorted((result.dir / "figures").glob("*.png")):
            path = f"{FIGURES_URL}/{slug}/{figure.name}"
            files.append(File.generated(config, path, abs_src_path=str(figure)))
            if stem := dark_variant_of(path):
                _dark_figures.add(stem)
        # The run cache lays out code/<script>.ipynb as the site serves it: a page (on_pre_page
        # renders it), with the notebook beside it, and the notebook and the script as downloads.
        files.append(NotebookPage(f"{NOTEBOOK_DIR}/{result.notebook.name}", str(result.dir), config["site_dir"], config["use_directory_urls"]))
        files.append(File.generated(config, f"{NOTEBOOK_DIR}/{slug}/{result.notebook.name}", abs_src_path=str(result.notebook)))
        for path in (result.notebook, result.source):
            files.append(File.generated(config, f"{DOWNLOADS_URL}/{path.name}", abs_src_path=str(path)))
    for generated in (_practice.pages, flashcards_page.pages()):
        for dest, content in generated.items():
            files.append(File.generated(config, dest, content=content))
    return files


def on_pre_page(page, config, files):
    if page.file.src_uri.endswith(".ipynb"):  # its HTML comes from the notebook, not from Markdown
        page.render = lambda config, files: _render_notebook(page)
    return page


def _render_notebook(page):
    page.content, toc = rendered_notebook(Path(page.file.abs_src_path))
    page.toc = get_toc(toc)


def on_page_markdown(markdown, page, config, files):
    if not page.file.src_uri.endswith(".md"):  # a notebook page shows the scripts' own source, braces and all
        return markdown
    try:
        minutes = _page_minutes.get(page.file.src_uri, 0)
        extra = _extra | {"page_reading": f"about {minutes} minute{'' if minutes == 1 else 's'}"}
        return expand(markdown, _records, page.file.src_uri, extra, _practice.line)
    except PageError as err:
        raise PluginError(str(err)) from None


def on_pre_build(config):
    _math_characters.clear()


def on_page_content(html, page, config, files):
    if page.file.src_uri.endswith(".ipynb"):  # no arithmatex in a notebook's HTML; its figures are paired in on_post_page
        return html
    html = render_math(html)
    _math_characters.update(math_characters(html))
    return with_dark_variants(html, _dark_figures.__contains__)


@event_priority(100)  # before the search plugin (priority 0) indexes the page
def _index_notebook_cheaply(context, page, config, nav):
    if page.file.src_uri.endswith(".ipynb"):
        _shown_content[page.file.src_uri] = page.content
        page.content = search_input(page.content)


@event_priority(-100)  # after it: the page shows what it showed
def _show_notebook_whole(context, page, config, nav):
    if page.file.src_uri in _shown_content:
        page.content = _shown_content.pop(page.file.src_uri)


# The search plugin indexes a notebook page from the same text with less markup around it.
on_page_context = CombinedEvent(_index_notebook_cheaply, _show_notebook_whole)


def on_env(env, config, files):
    env.bytecode_cache = compiled_templates()
    return env


def on_post_page(output, page, config):
    if page.file.src_uri.endswith(".ipynb"):
        return with_dark_variants(fit_notebook_page(output, page.url), _dark_figures.__contains__)
    return output


def on_serve(server, config, builder):
    """The live-reload server watching what it watched, polled every SERVE_POLL_SECONDS.

    LiveReloadServer fixes the interval when it creates its observer, so its watches move to a new
    observer, through its public watch() and unwatch(); serve() starts the observer afterwards.
    """
    watched = {_watched_path(emitter.watch): emitter.watch.is_recursive for emitter in server.observer.emitters}
    for path in watched:
        while path in {_watched_path(emitter.watch) for emitter in server.observer.emitters}:  # watched n times: n unwatches
            server.unwatch(path)
    server.observer = PollingObserver(timeout=SERVE_POLL_SECONDS)
    for path, recursive in watched.items():
        server.watch(path, recursive=recursive)
    return server


def _watched_path(watch) -> str:
    """The path as given to watch(): for a file, recent watchdog polls its folder and names the folder in `path`."""
    return getattr(watch, "raw_path", watch.path)


def on_post_build(config):
    font = Path(config["site_dir"]) / FONT_URL
    font.parent.mkdir(parents=True, exist_ok=True)
    try:
        font.write_bytes(math_font(_math_characters))
    except FileNotFoundError as err:
        raise PluginError(str(err)) from None
