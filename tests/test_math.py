"""site_build.math: TeX becomes MathML that also reads as text; site_build.math_font: the font the site serves."""


import pytest
from fontTools.ttLib import TTFont

from site_build.math import render_math
from site_build.math_font import math_characters, math_font


def rendered(tex: str, display: bool = False) -> str:
    wrapper = ("div", "\\[", "\\]") if display else ("span", "\\(", "\\)")
    return render_math(f'<{wrapper[0]} class="arithmatex">{wrapper[1]} {tex} {wrapper[2]}</{wrapper[0]}>')


@pytest.mark.parametrize("tex, text", [
    (r"\sqrt{n}", "√n"),
    (r"\frac{1}{\sqrt{B}}", "1/√B"),
    (r"-\ln\frac{1}{27} = \ln 27", "−ln 1/27 = ln 27"),
    (r"1 - \tanh^2(x)", "1 − tanh²(x)"),
    (r"\hat{x}_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}", "x̂ᵢ = (xᵢ − μ_B)/√(σ_B² + ϵ)"),
    (r"\sum_{i=1}^{n} w_i x_i", "∑ᵢ₌₁ⁿ wᵢxᵢ"),
    (r"(5/3)/\sqrt{\text{fan\_in}}", "(5/3)/√(fan_in)"),
    (r"\mathcal{N}(0, 1)", "𝒩(0, 1)"),
])
def test_every_formula_reads_as_text(tex, text):
    html = rendered(tex)
    assert f'aria-label="{text}"' in html, html  # what a screen reader speaks
    assert f'<annotation encoding="text/plain">{text}</annotation>' in html  # what the search indexes


def test_the_search_skips_the_layout_and_indexes_the_reading():
    from material.plugins.search.plugin import Parser

    parser = Parser()
    parser.feed("<h1>x</h1><p>the sum " + rendered(r"\sum_{i=1}^{n} w_i x_i") + " and " + rendered(r"\sqrt{n}") + "</p>")
    parser.close()
    text = "".join("".join(section.text) for section in parser.data)
    assert "∑ᵢ₌₁ⁿ wᵢxᵢ" in text and "√n" in text
    assert "nwixi" not in text.replace(" ", "")


def test_display_math_stays_display():
    assert 'display="block"' in rendered(r"\sum_j e^{z_j}", display=True)


def test_the_math_font_holds_the_pages_characters_and_its_math_table(tmp_path, monkeypatch):
    monkeypatch.setattr("site_build.math_font.CACHE_DIR", tmp_path)
    characters = math_characters(rendered(r"\sqrt{n} \approx \sigma \cdot 10^{-5}"))
    assert {"√", "≈", "σ", "−"} <= characters
    font = math_font(characters)
    assert font[:4] == b"wOF2" and len(font) < 150_000
    (tmp_path / "font.woff2").write_bytes(font)
    loaded = TTFont(tmp_path / "font.woff2")
    assert "MATH" in loaded, "radicals and sums need the MATH table"
    assert {ord(c) for c in characters if not c.isspace()} <= set(loaded.getBestCmap())
    assert math_font(characters) == font and len(list(tmp_path.glob("stix-two-math-*.woff2"))) == 1, "cached"
