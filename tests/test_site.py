"""The site as the README's first command builds it (in quick mode)."""

import json
import os
import re
import subprocess
import sys

import yaml

from site_build.lesson_runs import lesson_scripts
from site_build.nav import code_pages
from tests.conftest import REPO, run_python


def nav_pages():
    config = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)

    def walk(items):
        for item in items:
            value = list(item.values())[0] if isinstance(item, dict) else item
            yield from (walk(value) if isinstance(value, list) else [value])

    return list(walk(config["nav"] + [code_pages(lesson_scripts())]))


def page_html(site, src):
    stem = src.removesuffix(".md").removesuffix(".ipynb")
    return site / ("index.html" if stem == "index" else f"{stem}/index.html")


def test_every_page_is_built_with_its_figures(built_site):
    for src in nav_pages():
        html = page_html(built_site, src).read_text()
        if src.endswith(".md"):  # a notebook page shows the scripts' alt-text templates as code
            assert "{{" not in html, f"{src}: an unexpanded placeholder"
        for image in re.findall(r'<img[^>]+src="([^"]+\.png)"', html):
            assert (page_html(built_site, src).parent / image).resolve().exists(), f"{src}: {image} missing"


def test_lesson_notebooks_are_pages_with_outputs_and_downloads(built_site):
    for script in lesson_scripts():
        html = (built_site / "code" / script.stem / "index.html").read_text()
        assert f'src="../../figures/{script.stem}/' in html, f"{script.stem}: the notebook page shows no figure"
        assert not re.search(r'<img[^>]*data-figure=[^>]*src="data:', html), "a figure inlined a second time"
        assert (built_site / "downloads" / f"{script.stem}.py").read_bytes() == script.read_bytes()
        notebook = json.loads((built_site / "downloads" / f"{script.stem}.ipynb").read_text())
        assert any(cell.get("outputs") for cell in notebook["cells"]), "the download is the executed notebook"



def test_search_finds_every_notebooks_code_and_no_styles(built_site):
    """The search plugin reads a notebook page through site_build.notebook_pages.search_input."""
    entries = json.loads((built_site / "search" / "search_index.json").read_text())["docs"]
    for script in lesson_scripts():
        text = " ".join(entry["text"] for entry in entries if entry["location"].startswith(f"code/{script.stem}/"))
        assert "import" in text and "<pre>" in text, f"{script.stem}: its code is not in the search index"
        assert "jupyter-wrapper" not in text

def test_notebooks_show_what_cells_print_and_plot_not_bare_values(built_site):
    """A learner reading a script as a notebook sees its prints and figures, no stray value under a cell."""
    for script in lesson_scripts():
        notebook = json.loads((built_site / "downloads" / f"{script.stem}.ipynb").read_text())
        echoed = [cell["source"][:60] for cell in notebook["cells"] for out in cell.get("outputs", []) if out["output_type"] == "execute_result"]
        assert not echoed, f"{script.stem}: {echoed}"


def test_a_second_build_runs_no_lesson_script_and_no_practice_experiment(built_site, tmp_path):
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "LESSONS_QUICK": "1"},
    )
    imports = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    log = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("import time:"))
    assert result.returncode == 0, log[-2000:]
    assert "running" not in log and "lesson script" not in log
    imported = {line.rsplit("|", 1)[1].strip() for line in imports}
    assert "practice.exercises" not in imported, "the Practice page is read back, not computed again"
    assert not {"torch", "matplotlib"} & imported, "a rebuild with nothing to train needs neither"


def test_a_script_run_by_hand_gives_the_pages_figures_and_numbers(built_site, tmp_path):
    from site_build.lesson_runs import run_lessons

    cached = run_lessons(["01_confident_start"], quick=True)["01_confident_start"]
    result = run_python(
        "lessons/01_confident_start.py", env={"LESSONS_QUICK": "1", "LESSONS_OUT_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((tmp_path / "record.json").read_text())["values"] == cached.record["values"]
    for figure in (cached.dir / "figures").glob("*.png"):
        assert (tmp_path / "figures" / figure.name).read_bytes() == figure.read_bytes(), figure.name


def test_serve_polls_what_it_watched_often_and_rebuilds_on_an_edit(tmp_path):
    """The hook's on_serve moves `mkdocs serve`'s watches to an observer polling every SERVE_POLL_SECONDS."""
    import importlib.util
    import threading
    import time

    from mkdocs.livereload import LiveReloadServer

    spec = importlib.util.spec_from_file_location("lessons_site", REPO / "hooks" / "lessons_site.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    docs, config_file = tmp_path / "docs", tmp_path / "mkdocs.yml"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n")
    config_file.write_text("site_name: test\n")
    builds = threading.Event()
    server = LiveReloadServer(builder=builds.set, host="127.0.0.1", port=0, root=str(tmp_path / "site"))
    server.watch(str(docs))
    server.watch(str(config_file))  # as `mkdocs serve` does before on_serve
    before = {hook._watched_path(emitter.watch) for emitter in server.observer.emitters}

    server = hook.on_serve(server, config=None, builder=builds.set)
    assert {hook._watched_path(emitter.watch) for emitter in server.observer.emitters} == before == {str(docs), str(config_file)}
    assert {emitter.timeout for emitter in server.observer.emitters} == {hook.SERVE_POLL_SECONDS}

    serving = threading.Thread(target=server.serve)
    serving.start()
    try:
        time.sleep(0.3)  # its first look at the files
        (docs / "index.md").write_text("# Home\n\nAn edit.\n")
        assert builds.wait(timeout=10), "the edit was never rebuilt"
    finally:
        server.shutdown()
        serving.join(timeout=10)
