"""Math typeset at build time: TeX in the pages becomes MathML, so no page loads a script or a font for it."""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert as latex_to_mathml

# pymdownx.arithmatex (generic mode) wraps \( … \) in a span and \[ … \] in a div.
_ARITHMATEX = re.compile(
    r'<(span|div) class="arithmatex">\s*\\([\(\[])(.*?)\\[\)\]]\s*</\1>', re.S
)


def render_math(page_html: str) -> str:
    """Typeset the page's TeX as MathML at build time: no script, no font download, no CDN."""

    def replace(match: re.Match) -> str:
        tex = html.unescape(match.group(3))
        tex = re.sub(r"\\text\{([^}]*)\}", lambda m: r"\text{" + m.group(1).replace(r"\_", "_") + "}", tex)
        display = "block" if match.group(2) == "[" else "inline"
        return latex_to_mathml(tex.strip(), display=display)

    return _ARITHMATEX.sub(replace, page_html)
