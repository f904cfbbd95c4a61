"""site_build.notebook_pages: a notebook's page body and contents, rendered once per notebook."""

import nbformat

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
