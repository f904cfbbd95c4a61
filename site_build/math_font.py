"""The math font the site serves itself: STIX Two Math, as the PyPI package ziamath ships it, cut
down with fontTools to the characters the site's formulas use, as WOFF2 (about 60 KB).

Chromium draws MathML with whatever font it finds; without a real math font (one with a MATH
table) radicals, fractions and sums come out small and misaligned. The cut is made at build time
and kept in .cache/fonts/, keyed by the characters, the font and fontTools' version, so only a
formula with a new symbol makes a new one.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import io
import re
from pathlib import Path

from engine.settings import CACHE_ROOT
from site_build.build_cache import cached

FONT_URL = "assets/fonts/stix-two-math.woff2"  # docs/stylesheets/lesson.css names it in @font-face
CACHE_DIR = CACHE_ROOT / "fonts"
# Always there: ASCII, Greek, the lesson's commonest symbols (√ Σ − ×), and the italic letters
# MathML draws a one-letter <mi> with.
ALWAYS = {chr(c) for c in [*range(0x20, 0x7F), *range(0x391, 0x3CA), 0x3D1, 0x3D5, 0x3F5, 0x210E, 0x221A, 0x2211, 0x2212, 0xD7,
                           *range(0x1D434, 0x1D468), *range(0x1D6E2, 0x1D71C)]}
_MATH = re.compile(r"<math\b.*?</math>", re.S)
_TAG = re.compile(r"<[^>]+>")


def source_font() -> Path:
    """The font file inside the installed ziamath package (found without importing it)."""
    package = importlib.util.find_spec("ziamath")
    if package is None:
        raise FileNotFoundError("the math font comes with the Python package ziamath: pip install -e . installs it")
    return Path(package.submodule_search_locations[0]) / "fonts" / "STIXTwoMath-Regular.ttf"


def math_characters(page_html: str) -> set[str]:
    """Every character inside the page's <math> elements."""
    return {char for formula in _MATH.findall(page_html) for char in html.unescape(_TAG.sub("", formula))}


def math_font(characters: set[str]) -> bytes:
    """The font cut down to `characters` (and what ALWAYS holds), as WOFF2; cached."""
    import fontTools

    codepoints = sorted({ord(c) for c in characters | ALWAYS if not c.isspace()})
    source = source_font()
    key = hashlib.sha256(f"{codepoints}|{source.stat().st_size}|{fontTools.version}".encode()).hexdigest()[:16]
    return cached(CACHE_DIR, "stix-two-math-{}.woff2", key, lambda: _subset(source, codepoints))


def _subset(source: Path, codepoints: list[int]) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # the MATH table's size variants and assemblies come along
    options.hinting = False  # screens that need hints get them from the browser's own rasteriser
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.flavor = "woff2"
    font.save(buffer)
    return buffer.getvalue()
