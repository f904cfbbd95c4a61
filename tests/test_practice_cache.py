"""site_build.practice_cache: the Practice page and lines, read back while nothing they are made from changes."""

import shutil

import pytest

from site_build import practice_cache, practice_page
from tests.conftest import REPO


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(practice_cache, "SITE_CACHE", tmp_path / "cache")
    return tmp_path / "cache"


def test_the_kept_page_and_lines_are_the_ones_the_definitions_make(cache):
    kept = practice_cache.practice(REPO / "docs")
    assert kept.pages == practice_page.pages(REPO / "docs")
    section = "confident-start.md#uniform-baseline"
    assert kept.line(section) == practice_page.practice_line(section)
    assert kept.line("confident-start.md#no-such-section") is None


def test_made_again_only_when_a_heading_changes(cache, tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    shutil.copytree(REPO / "docs", docs)
    made = []
    make = practice_cache._make
    monkeypatch.setattr(practice_cache, "_make", lambda docs_dir: made.append(docs_dir) or make(docs_dir))

    first = practice_cache.practice(docs)
    assert practice_cache.practice(docs) == first and len(made) == 1
    (docs / "index.md").write_text((docs / "index.md").read_text() + "\nOne more paragraph.\n")
    assert practice_cache.practice(docs) == first and len(made) == 1, "an edit to the prose changes nothing here"

    page = docs / "confident-start.md"
    page.write_text(page.read_text().replace("{#uniform-baseline}", "{#uniform-baseline-renamed}", 1))
    assert practice_cache.practice(docs) != first and len(made) == 2, "a renamed section changes an exercise's link"
    assert len(list(cache.glob("practice-*.json"))) == 1, "the page it replaced is gone"
