"""Each lesson figure in the colour scheme the reader chose: engine.record saves a variant for the
dark scheme beside every figure (<name>.dark.png), and each <img> of a figure becomes the pair
that Material shows one of, by the `#only-light` and `#only-dark` ends of their addresses."""

from __future__ import annotations

import re
from typing import Callable

from engine.record import DARK_SUFFIX
from site_build.pages import FIGURES_URL

_FIGURE_IMG = re.compile(rf'<img\b([^>]*?)\bsrc="((?:\.\./)*{FIGURES_URL}/[^"#]+?)\.png"([^>]*?)\s*/?>')


def dark_variant_of(path: str) -> str | None:
    """"figures/<script>/<name>" when `path` is that figure's dark variant (figures/<script>/<name>.dark.png), else None."""
    suffix = f"{DARK_SUFFIX}.png"
    return path.removesuffix(suffix) if path.endswith(suffix) else None


def with_dark_variants(page_html: str, has_dark_variant: Callable[[str], bool]) -> str:
    """Pair every figure that has a dark variant with it; `has_dark_variant("figures/<script>/<name>")`."""

    def pair(match: re.Match) -> str:
        before, stem, after = match.groups()
        if not has_dark_variant(stem.lstrip("./")):
            return match.group(0)
        # Lazy: the browser fetches only the one the scheme shows, when it comes into view.
        attributes = " ".join(part.strip() for part in (before, after, 'loading="lazy"') if part.strip())
        return f'<img {attributes} src="{stem}.png#only-light"><img {attributes} src="{stem}{DARK_SUFFIX}.png#only-dark">'

    return _FIGURE_IMG.sub(pair, page_html)
