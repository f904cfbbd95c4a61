"""Math typeset at build time: TeX in the pages becomes MathML, drawn in a math font the site serves.

Each formula also carries its reading as plain text ("√n", "−ln(1/27) = ln 27 = 3.296"): as
the accessible name a screen reader speaks, and as a MathML annotation that the site's search
indexes in place of the bare letters of the layout (the radical of √n is drawn, not written).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from latex2mathml.converter import convert as latex_to_mathml

# pymdownx.arithmatex (generic mode) wraps \( … \) in a span and \[ … \] in a div.
_ARITHMATEX = re.compile(
    r'<(span|div) class="arithmatex">\s*\\([\(\[])(.*?)\\[\)\]]\s*</\1>', re.S
)
_MATHML = "{http://www.w3.org/1998/Math/MathML}"
_MATH_OPEN = re.compile(r"<math ([^>]*)>")


def render_math(page_html: str) -> str:
    """Typeset the page's TeX as MathML at build time: no script, no font from another host, no CDN."""

    def replace(match: re.Match) -> str:
        tex = html.unescape(match.group(3))
        tex = re.sub(r"\\text\{([^}]*)\}", lambda m: r"\text{" + m.group(1).replace(r"\_", "_") + "}", tex)
        display = "block" if match.group(2) == "[" else "inline"
        return typeset(tex.strip(), display)

    return _ARITHMATEX.sub(replace, page_html)


@lru_cache(maxsize=None)
def typeset(tex: str, display: str) -> str:
    """One formula as MathML with its reading; each is typeset once per process, so a rebuild under
    `mkdocs serve` typesets only the formulas that an edit added."""
    return with_text(latex_to_mathml(tex, display=display))


def with_text(mathml: str) -> str:
    """A <math> element with its reading as text: its accessible name, and an annotation for search."""
    text = math_text(mathml)
    quoted = html.escape(text, quote=True)
    opening = _MATH_OPEN.match(mathml)
    inner = mathml[opening.end() : -len("</math>")]
    # The search indexes the annotation (never drawn) instead of the layout's bare letters. Material's
    # search matches an excluded element's end by its tag alone: <mpadded> (a plain row here) is one
    # that latex2mathml never writes inside.
    return (
        f'<math {opening.group(1)} aria-label="{quoted}"><semantics><mpadded data-search-exclude>{inner}</mpadded>'
        f'<annotation encoding="text/plain">{html.escape(text, quote=False)}</annotation></semantics></math>'
    )


def math_text(mathml: str) -> str:
    """How a formula reads as one line of text: √n, 1/√B, Σⱼ e^(zⱼ), x̂ᵢ = (xᵢ − μ_B)/√(σ_B² + ϵ)."""
    return re.sub(r"\s+", " ", _text(ET.fromstring(mathml))).strip()


# Operators that stand between two terms, with a space on each side.
_SPACED = set("=+−-<>≈≤≥≠→←×·±∈∝≡∼") | {"&"}
_INVISIBLE = {"\u2061", "\u2062", "\u2063", "\u2064"}
_SUPERSCRIPTS = str.maketrans("0123456789+−-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱ")
_SUBSCRIPTS = str.maketrans("0123456789+−-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_ACCENTS = {"^": "\u0302", "ˆ": "\u0302", "¯": "\u0304", "‾": "\u0304", "~": "\u0303", "˜": "\u0303", "˙": "\u0307", "→": "\u20d7"}


def _text(element: ET.Element) -> str:
    tag = element.tag.removeprefix(_MATHML)
    children = list(element)
    if tag in ("mi", "mn", "mtext", "ms"):
        return element.text or ""
    if tag == "mo":
        symbol = (element.text or "").strip()
        if symbol in _INVISIBLE:
            return ""
        if symbol == ",":
            return ", "
        return f" {symbol} " if symbol in _SPACED else symbol
    if tag == "mspace":
        return " "
    if tag == "mfrac":
        return f"{_group(_text(children[0]))}/{_group(_text(children[1]))}"
    if tag == "msqrt":
        return "√" + _group(_row(children))
    if tag == "mroot":
        return f"{_group(_text(children[1]))}√{_group(_text(children[0]))}"
    if tag in ("msup", "mover") and len(children) == 2:
        base, top = _text(children[0]), _text(children[1]).strip()
        if tag == "mover" and top in _ACCENTS:
            return base + _ACCENTS[top]
        return base + _script(top, _SUPERSCRIPTS, "^")
    if tag in ("msub", "munder") and len(children) == 2:
        return _text(children[0]) + _script(_text(children[1]).strip(), _SUBSCRIPTS, "_")
    if tag in ("msubsup", "munderover") and len(children) == 3:
        base, below, above = (_text(child).strip() for child in children)
        return base + _script(below, _SUBSCRIPTS, "_") + _script(above, _SUPERSCRIPTS, "^")
    if tag == "mtable":
        return "; ".join(", ".join(_text(cell).strip() for cell in row) for row in children)
    if tag == "mphantom" or tag == "annotation":
        return ""
    return _row(children)


def _row(children: list[ET.Element]) -> str:
    """Siblings side by side: a function name (ln, tanh) and a big operator (Σ) keep a space from
    what follows them; a minus with nothing before it is a sign, not an operation."""
    out = ""
    for child, previous in zip(children, [None, *children]):
        part = _text(child)
        if part.strip() in ("−", "-", "+", "±") and (not out.strip() or re.search(r"[(\[,]\s*$|[" + re.escape("".join(_SPACED)) + r"]\s*$", out)):
            part = part.strip()  # a sign, not an operation: "−x", "(−1", "= −b"
        elif previous is not None and part and (_is_word(previous) or _is_big_operator(previous)) and re.match(r"[^\s)\],]", part):
            out += " "
        out += part
    return out


def _is_word(element: ET.Element) -> bool:
    return element.tag == f"{_MATHML}mi" and len(element.text or "") > 1


def _is_big_operator(element: ET.Element) -> bool:
    base = element[0] if len(element) else element
    return element.tag.removeprefix(_MATHML) in ("msub", "msubsup", "munder", "munderover", "mo") and (base.text or "").strip() in "∑∏∫⋃⋂"


def _script(text: str, table: dict, mark: str) -> str:
    """A sub- or superscript in Unicode's small digits and letters where they all exist, else _x or ^x."""
    compact = text.replace(" ", "")
    if compact and all(ord(c) in table for c in compact):
        return compact.translate(table)
    return mark + _group(text)


def _group(text: str) -> str:
    """Brackets around a part with an operator in it, so 1/(x + y) is not 1/x + y."""
    text = text.strip()
    atomic = re.fullmatch(r"(?:[^\W_]|[.√\u0300-\u036f\u20d7])+", text) or re.fullmatch(r"√?\(.*\)|\|.*\|", text)
    return text if atomic and text.count("(") == text.count(")") else f"({text})"
