"""The HTML of a lesson notebook's page, as mkdocs-jupyter renders it, made fit for this site."""

from __future__ import annotations

import re

from site_build.pages import FIGURES_URL

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


def fit_notebook_page(page_html: str, page_url: str) -> str:
    """No CDN scripts; figures served from the files the narrative pages use, not inlined again; code cells reachable by keyboard."""
    page_html = _CDN_SCRIPTS.sub("", page_html)
    to_root = "../" * page_url.count("/")

    def point_at_file(match: re.Match) -> str:
        tag, name = match.group(0), _FIGURE_NAME.search(match.group(0))
        return _INLINED_PNG.sub(f'src="{to_root}{FIGURES_URL}/{name[1]}.png"', tag) if name else tag

    page_html = _IMG.sub(point_at_file, page_html)
    # Code cells scroll sideways; a keyboard must be able to reach them to scroll.
    return page_html.replace('<div class="highlight-ipynb', '<div tabindex="0" class="highlight-ipynb')
