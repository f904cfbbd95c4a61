"""site_build.notebook_pages: a notebook's page body and contents, rendered once per notebook."""

import html as html_module
import re

import nbformat

from engine.settings import REPO_ROOT
from site_build import notebook_pages


def test_a_notebook_is_rendered_once_then_read_back(tmp_path, monkeypatch):
    monkeypatch.setattr(notebook_pages, "SITE_CACHE", tmp_path / "cache")
    notebook = tmp_path / "01_example.ipynb"
    cells = [nbformat.v4.new_markdown_cell("# An example\n\n## First steps"), nbformat.v4.new_code_cell("unmistakable_marker = 2")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebook)
    renders = []
    render = notebook_pages._render
    monkeypatch.setattr(notebook_pages, "_render", lambda path: renders.append(path) or render(path))

    content, toc = notebook_pages.rendered_notebook(notebook)
    assert "unmistakable_marker" in content and "First steps" in content
    assert [token["name"] for token in toc] == ["An example"] and toc[0]["children"][0]["id"] == "first-steps"
    assert "In&nbsp;[" not in content, "no prompts"
    assert notebook_pages.rendered_notebook(notebook) == (content, toc) and len(renders) == 1

    nbformat.write(nbformat.v4.new_notebook(cells=cells[:1]), notebook)
    assert "unmistakable_marker" not in notebook_pages.rendered_notebook(notebook)[0] and len(renders) == 2


def test_search_reads_the_same_text_from_a_notebook_page_with_less_markup(tmp_path, monkeypatch):
    """search_input drops styles, inlined image bytes and highlighting; the search plugin's parser finds the same sections."""
    from material.plugins.search.plugin import Parser

    monkeypatch.setattr(notebook_pages, "SITE_CACHE", tmp_path / "cache")
    notebook = tmp_path / "01_example.ipynb"
    code = nbformat.v4.new_code_cell("from math import tanh\nsaturated = [tanh(x) for x in (3.0, -4.5)]  # 'both' & <more>\nprint(saturated)")
    code.outputs = [nbformat.v4.new_output("stream", text="[0.995, -0.9998]\n"),
                    nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "text/plain": "<Figure>"})]
    cells = [nbformat.v4.new_markdown_cell("# An example\n\nSome *prose*.\n\n## Saturation"), code]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebook)
    content, _ = notebook_pages.rendered_notebook(notebook)

    def sections(html):
        parser = Parser()
        parser.feed(html)
        parser.close()
        return [(section.id, "".join(section.title), "".join(section.text)) for section in parser.data]

    searched = notebook_pages.search_input(content)
    assert sections(searched) == sections(content)
    text = " ".join(section[2] for section in sections(searched))
    assert "tanh" in text and "0.995" in text and "prose" in text
    code_blocks = re.findall(r"<pre\b.*?</pre>", searched, re.S)
    assert code_blocks and not any("<span" in block for block in code_blocks), "code's text without its highlighting"
    assert "<style" not in searched and "base64" not in searched
    assert len(searched) < len(content) / 5


def test_a_code_page_keeps_only_the_spans_that_colour_a_token(tmp_path, monkeypatch):
    """fit_notebook_page drops the spans of tokens no stylesheet colours; every character of the code stays."""
    monkeypatch.setattr(notebook_pages, "SITE_CACHE", tmp_path / "cache")
    notebook = tmp_path / "01_example.ipynb"
    source = ("import math\nfrom torch import nn\n\n\nclass Net(nn.Module):\n    @property\n    def __len__(self):\n"
              "        return len([math.tanh(x) for x in range(3)])  # a comment\n\n\nraise ValueError(f\"{Net} {1.5}\")")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), notebook)
    content, _ = notebook_pages.rendered_notebook(notebook)
    fitted = notebook_pages.fit_notebook_page(content, "code/01_example/")

    def code(html):
        return [html_module.unescape(re.sub(r"<[^>]+>", "", block)) for block in re.findall(r"<pre\b.*?</pre>", html, re.S)]

    assert code(fitted) == code(content) and source in code(fitted)[0]
    css = "".join(re.findall(r"<style\b.*?</style>", content, re.S)) + (REPO_ROOT / "docs/stylesheets/lesson.css").read_text()
    before = set(re.findall(r'<span class="(\w+)"', "".join(re.findall(r"<pre\b.*?</pre>", content, re.S))))
    after = set(re.findall(r'<span class="(\w+)"', "".join(re.findall(r"<pre\b.*?</pre>", fitted, re.S))))
    assert {"n", "nn", "nc", "nd", "fm", "bp", "nb", "ne", "w"} <= before, "the example has every kind the page unwraps"
    assert after == before - set(notebook_pages.UNCOLOURED_TOKENS) and {"k", "kn", "c1", "mi", "mf", "s2", "o", "p"} <= after
    for token in notebook_pages.UNCOLOURED_TOKENS:
        if token == "w":  # coloured, but only ever whitespace
            assert all(not text.strip() for text in re.findall(r'<span class="w">([^<]*)</span>', content))
        else:
            assert not re.search(rf"\.{token}\b(?![-\w])", css), f"a stylesheet now colours .{token}: keep its spans"
