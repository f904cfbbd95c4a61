
import pytest
import yaml

from site_build.lesson_runs import lesson_scripts
from site_build.nav import CODE_SECTION, code_pages, narrative_pages, script_title
from tests.conftest import REPO


def test_every_script_gets_a_code_page_titled_from_its_first_heading():
    section = code_pages(lesson_scripts())[CODE_SECTION]
    assert len(section) == len(lesson_scripts())
    assert section[0] == {"01 · A confidently wrong start": "code/01_confident_start.ipynb"}


def test_a_script_without_a_title_is_named(tmp_path):
    script = tmp_path / "09_untitled.py"
    script.write_text("# %%\nx = 1\n")
    with pytest.raises(ValueError, match="09_untitled.py: no title"):
        script_title(script)


def test_narrative_pages_come_from_the_nav_and_skip_generated_ones():
    nav = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["nav"]
    pages = narrative_pages(nav, REPO / "docs")
    assert pages[0] == "index.md" and "batchnorm.md" in pages
    assert "practice.md" not in pages and "flashcards.md" not in pages  # generated at build time
    assert set(pages) == {p.name for p in (REPO / "docs").glob("*.md")}
