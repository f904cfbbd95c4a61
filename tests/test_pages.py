import pytest

from site_build.math import render_math
from site_build.pages import PageError, expand, read_minutes

RECORDS = {
    "01_demo": {
        "values": {"stds": [0.5, 0.25], "by_gain": {"high": 0.9}, "loss": 3.29583, "count": 32952, "table": "| a |\n| - |"},
        "figures": {"curve": "The loss falls [steeply]."},
    }
}


def test_numbers_are_formatted_from_the_record():
    text = "loss {{ 01_demo.loss:.2f }}, {{ 01_demo.count:, }} names\n{{ 01_demo.table }}"
    assert expand(text, RECORDS, "page.md") == "loss 3.30, 32,952 names\n| a |\n| - |"


def test_items_of_recorded_lists_and_dicts():
    assert expand("{{ 01_demo.stds.1:.2f }} {{ 01_demo.by_gain.high }}", RECORDS, "page.md") == "0.25 0.9"
    with pytest.raises(PageError, match="no value named 'stds.7'"):
        expand("{{ 01_demo.stds.7 }}", RECORDS, "page.md")


def test_figures_get_their_alt_text_and_a_path_relative_to_the_page():
    assert expand("{{ figure 01_demo.curve }}", RECORDS, "page.md") == (
        "![The loss falls (steeply).](figures/01_demo/curve.png)"
    )
    assert expand("{{ figure 01_demo.curve }}", RECORDS, "sub/page.md").endswith("(../figures/01_demo/curve.png)")


@pytest.mark.parametrize(
    "text, message",
    [
        ("{{ 02_missing.loss }}", "no lesson script named '02_missing'"),
        ("{{ 01_demo.nope }}", "recorded no value named 'nope'"),
        ("{{ figure 01_demo.nope }}", "saved no figure named 'nope'"),
        ("{{ loss }}", "expected <script>.<name>"),
        ("{{ 01_demo.table:.2f }}", "page.md"),
    ],
)
def test_unknown_placeholders_are_errors_naming_the_page(text, message):
    with pytest.raises(PageError) as err:
        expand(text, RECORDS, "page.md")
    assert message in str(err.value) and "page.md" in str(err.value)


def test_extra_values():
    assert expand("about {{ read_minutes }} minutes", RECORDS, "index.md", {"read_minutes": 12}) == "about 12 minutes"


def test_read_minutes_counts_prose_not_code():
    prose = " ".join(["word"] * 400)
    assert read_minutes([prose]) == 2
    assert read_minutes([prose + "\n```python\n" + "x = 1\n" * 1000 + "```\n"]) == 2


def test_math_becomes_mathml():
    html = '<p><span class="arithmatex">\\( 1 - \\tanh^2(x) &lt; 1 \\)</span></p><div class="arithmatex">\\[ \\ln 27 \\]</div>'
    out = render_math(html)
    assert "arithmatex" not in out and "\\(" not in out
    assert out.count("<math") == 2 and 'display="block"' in out


def test_practice_lines_list_the_exercises_of_the_section_above():
    line = lambda section: {"page.md#drilled": "*Practice:* [one](practice.md#ex-one)"}.get(section)
    text = "# Page\n\n## Drilled {#drilled}\n\nProse.\n\n{{ practice }}\n\n## Other {#other}\n"
    assert "*Practice:* [one](practice.md#ex-one)" in expand(text, RECORDS, "page.md", practice_line=line)
    with pytest.raises(PageError, match="under #other, which no exercise drills"):
        expand(text + "\n{{ practice }}\n", RECORDS, "page.md", practice_line=line)
    with pytest.raises(PageError, match="before any heading"):
        expand("{{ practice }}", RECORDS, "page.md", practice_line=line)
