"""The HTML of a lesson notebook's page: rendered by mkdocs-jupyter, once per notebook, and made fit for this site.

mkdocs-jupyter is used as a library, not as a plugin: as a plugin it imports nbconvert on every
build (half a second), though its rendering is cached. Here the rendering is kept in .cache/site/
by the notebook's bytes, and nbconvert is imported only for a notebook that a new run wrote.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from site_build.build_cache import SITE_CACHE, cached
from site_build.pages import FIGURES_URL

# mkdocs-jupyter's options: its plugin's defaults, but for no "In [3]:" prompts (they carry no meaning
# in a rendered page). The notebooks are shown as they were executed, every cell's source included.
RENDERING = dict(execute=False, kernel_name="", theme="", allow_errors=True, show_input=True, no_input=False,
                 no_prompt=True, remove_tag_config={}, highlight_extra_classes="", include_requirejs=False,
                 custom_mathjax_url="")
TOC_DEPTH = 6

# mkdocs-jupyter's notebook template loads MathJax and, for Mermaid diagrams, scripts from a
# CDN. The lesson notebooks need neither, and the site must make no request to another host.
_CDN_SCRIPTS = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->"
    r"|<script type=\"module\">(?:(?!</script>).)*?cdnjs(?:(?!</script>).)*</script>",
    re.S,
)

# A lesson figure in a notebook output carries data-figure="<script>/<name>" (engine.record);
# the notebook's HTML may put its attributes in any order.
_IMG = re.compile(r"<img\b[^>]*>")
_FIGURE_NAME = re.compile(r'\bdata-figure="([^"]+)"')
_INLINED_PNG = re.compile(r'\bsrc="data:image/png;base64,[^"]*"')
# What the search index skips or never reads: the notebook template's styles (half a megabyte a
# page), the figures' inlined bytes, and the <span> pygments puts round every token of a code cell.
# (Written so that the regex engine can jump from one "<style" or " src" to the next.)
_STYLE = re.compile(r"<style\b[^<]*(?:<(?!/style>)[^<]*)*</style>")
_IMAGE_BYTES = re.compile(r' src="data:image/[^"]*"')
_PRE = re.compile(r"<pre\b.*?</pre>", re.S)
_SPAN = re.compile(r"</?span\b[^>]*>")
# The notebook theme colours only some of the tokens pygments marks: names, builtins, and the
# names of modules, functions, classes, decorators and exceptions keep the text's colour, and
# whitespace shows none. Their spans change nothing a reader sees, yet each is one more element
# for the browser to lay out and for axe to check: a quarter of a code page's elements.
UNCOLOURED_TOKENS = ("n", "nb", "nn", "bp", "nf", "fm", "nc", "nd", "ne", "w")
_UNCOLOURED_SPAN = re.compile(r'<span class="(?:%s)">([^<]*)</span>' % "|".join(UNCOLOURED_TOKENS))


def fit_notebook_page(page_html: str, page_url: str) -> str:
    """No CDN scripts; figures served from the files the narrative pages use, not inlined again; no
    span round a token the theme does not colour; code cells reachable by keyboard."""
    page_html = _CDN_SCRIPTS.sub("", page_html)
    page_html = _PRE.sub(lambda block: _UNCOLOURED_SPAN.sub(r"\1", block[0]), page_html)
    to_root = "../" * page_url.count("/")

    def point_at_file(match: re.Match) -> str:
        tag, name = match.group(0), _FIGURE_NAME.search(match.group(0))
        return _INLINED_PNG.sub(f'src="{to_root}{FIGURES_URL}/{name[1]}.png"', tag) if name else tag

    page_html = _IMG.sub(point_at_file, page_html)
    # Code cells scroll sideways; a keyboard must be able to reach them to scroll.
    return page_html.replace('<div class="highlight-ipynb', '<div tabindex="0" class="highlight-ipynb')


def search_input(page_html: str) -> str:
    """The page as the search index reads it, cheaply: the same text, a tenth of the bytes, a fifth of the tags.

    Indexing the seven notebook pages as rendered was half of a rebuild under `mkdocs serve`;
    the index keeps a code block's text, not its colours, and no style or image bytes.
    """
    page_html = _IMAGE_BYTES.sub(' src=""', _STYLE.sub("", page_html))
    return _PRE.sub(lambda block: _SPAN.sub("", block[0]), page_html)


def rendered_notebook(notebook: Path) -> tuple[str, list[dict]]:
    """The notebook's page body and its table of contents (Python-Markdown's toc tokens); cached."""
    made_from = (notebook.read_bytes(), RENDERING, TOC_DEPTH, renderer_versions())
    key = hashlib.sha256(repr(made_from).encode()).hexdigest()[:16]
    kept = json.loads(cached(SITE_CACHE, f"{notebook.stem}-{{}}.json", key, lambda: _render(notebook)))
    return kept["content"], kept["toc"]


@lru_cache(maxsize=1)
def renderer_versions() -> tuple[str, ...]:
    """Read once per process: each lookup parses a package's metadata, and there are seven notebooks."""
    return tuple(metadata.version(name) for name in ("mkdocs-jupyter", "nbconvert", "jupytext", "mistune", "pygments"))


def _render(notebook: Path) -> bytes:
    from mkdocs_jupyter.convert import nb2html
    from mkdocs_jupyter.plugin import _get_nb_toc_tokens

    toc, _ = _get_nb_toc_tokens(str(notebook), TOC_DEPTH)
    return json.dumps({"content": nb2html(str(notebook), **RENDERING), "toc": toc}).encode()
