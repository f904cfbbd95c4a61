"""The lesson as a reader meets it: a core that reads in the promised time, and optional pages that say so."""

import re
from html.parser import HTMLParser
from pathlib import Path

import yaml

from site_build.nav import GOING_FURTHER, core_pages, going_further_pages
from site_build.pages import WORDS_PER_MINUTE
from tests.conftest import REPO

PROMISED_MINUTES = 12  # the lesson card's reading time
NAV = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["nav"]


class _ArticleText(HTMLParser):
    """The text a reader sees in a page's article: no code listings, scripts or permalink marks."""

    SKIP = {"script", "style", "pre", "annotation"}  # a formula's text annotation is for search and screen readers

    def __init__(self):
        super().__init__()
        self.depth, self.skipping, self.parts = 0, 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        elif self.depth and (tag in self.SKIP or ("class", "headerlink") in attrs):
            self.skipping += 1

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1
        elif self.skipping and tag in self.SKIP | {"a"}:
            self.skipping -= 1

    def handle_data(self, data):
        if self.depth and not self.skipping:
            self.parts.append(data)


def shown_words(built_site: Path, page: str) -> int:
    parser = _ArticleText()
    parser.feed((built_site / page.removesuffix(".md").replace("index", "") / "index.html").read_text())
    return len(re.findall(r"[A-Za-z0-9][\w'’.-]*", " ".join(parser.parts)))


def test_the_core_reads_in_the_promised_time_by_its_rendered_text(built_site):
    words = sum(shown_words(built_site, page) for page in core_pages(NAV, REPO / "docs"))
    minutes = words / WORDS_PER_MINUTE
    assert minutes <= PROMISED_MINUTES + 0.5, f"the core pages show {words} words: {minutes:.1f} minutes"
    # and the overview says what the rendered text takes, to the minute
    shown = re.search(r"about (\d+) minutes", (built_site / "index.html").read_text())
    assert shown and abs(int(shown[1]) - minutes) <= 1, (shown and shown[1], minutes)


def test_going_further_pages_say_so_in_the_nav_and_on_the_page(built_site):
    pages = going_further_pages(NAV, REPO / "docs")
    assert pages and not set(pages) & set(core_pages(NAV, REPO / "docs"))
    index = (built_site / "index.html").read_text()
    assert GOING_FURTHER in index  # the nav section, on every page's navigation
    for page in pages:
        html = (built_site / page.removesuffix(".md") / "index.html").read_text()
        assert re.search(r"<em>Going further · about (1 minute|\d+ minutes)\.</em>", html), page
