"""MkDocs glue, kept thin: run the lesson scripts (cached), serve their outputs, expand placeholders.

Everything with substance lives in the `lessons` package (lessons.run, lessons.pages);
this file only connects it to MkDocs' events, so moving to another site generator means
rewriting these few functions.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

import flashcards.site
import practice.site
from lessons.pages import FIGURES_URL, PageError, expand, read_minutes, render_math
from lessons.run import NOTEBOOK_DIR, LessonError, run_lessons
from lessons.train import QUICK

log = logging.getLogger("mkdocs.lessons")
DOWNLOADS_URL = "downloads"  # downloads/<script>.py and .ipynb
NARRATIVE_PAGES = ["index.md", "confident-start.md", "saturated-neurons.md", "healthy-depth.md",
                   "loss-log.md", "batchnorm.md", "deeper-network.md"]

_results = {}
_records = {}
_extra = {}


def on_config(config):
    try:
        results = run_lessons(quick=QUICK, log=log.info)
    except LessonError as err:
        raise PluginError(str(err)) from None
    _results.clear()
    _results.update(results)
    _records.clear()
    _records.update({slug: result.record for slug, result in results.items()})
    docs = Path(config["docs_dir"])
    pages = [(docs / name).read_text() for name in NARRATIVE_PAGES]
    _extra["read_minutes"] = read_minutes(pages)
    return config


# Before mkdocs-jupyter's on_files, which turns the notebooks added here into pages.
@event_priority(50)
def on_files(files, config):
    for slug, result in _results.items():
        for figure in sorted((result.dir / "figures").glob("*.png")):
            files.append(File.generated(config, f"{FIGURES_URL}/{slug}/{figure.name}", abs_src_path=str(figure)))
        # The run cache lays out code/<script>.ipynb as the site serves it: a real source
        # folder, which mkdocs-jupyter needs to render the notebook as a page.
        page = File(f"{NOTEBOOK_DIR}/{result.notebook.name}", str(result.dir), config["site_dir"], config["use_directory_urls"])
        files.append(page)
        # The same notebook and the script as plain downloads, held in memory so that
        # mkdocs-jupyter leaves them alone.
        for path in (result.notebook, result.source):
            files.append(File.generated(config, f"{DOWNLOADS_URL}/{path.name}", content=path.read_bytes()))
    # Pages generated at build time from the exercise definitions and the flashcard deck.
    for generated in (practice.site.pages(), flashcards.site.pages()):
        for dest, content in generated.items():
            files.append(File.generated(config, dest, content=content))
    return files


def on_page_markdown(markdown, page, config, files):
    try:
        return expand(markdown, _records, page.file.src_uri, _extra)
    except PageError as err:
        raise PluginError(str(err)) from None


def on_page_content(html, page, config, files):
    return render_math(html)


# mkdocs-jupyter's notebook template loads MathJax and, for Mermaid diagrams, scripts from a
# CDN. The lesson notebooks need neither, and the site must make no request to another host.
_NOTEBOOK_CDN_SCRIPTS = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->"
    r"|<script type=\"module\">(?:(?!</script>).)*?cdnjs(?:(?!</script>).)*</script>",
    re.S,
)


# A lesson figure in a notebook output carries data-figure="<script>/<name>": serve the file the
# narrative pages already use instead of a second, inlined copy.
_INLINED_FIGURE = re.compile(r'src="data:image/png;base64,[^"]*"([^>]*?) data-figure="([^"]+)"')


def on_post_page(output, page, config):
    if page.file.src_uri.endswith(".ipynb"):
        output = _NOTEBOOK_CDN_SCRIPTS.sub("", output)
        to_root = "../" * page.url.count("/")
        output = _INLINED_FIGURE.sub(lambda m: f'src="{to_root}{FIGURES_URL}/{m.group(2)}.png"{m.group(1)}', output)
        # Code cells scroll sideways; a keyboard must be able to reach them to scroll.
        output = output.replace('<div class="highlight-ipynb', '<div tabindex="0" class="highlight-ipynb')
    return output
