"""engine.progress: a bar in a terminal, the latest line in a file while the site build runs a script."""

from engine.progress import PROGRESS_FILE_VARIABLE, progress_bar


def test_during_the_build_the_bar_keeps_its_latest_line_in_a_file(tmp_path, monkeypatch):
    report = tmp_path / "bar"
    monkeypatch.setenv(PROGRESS_FILE_VARIABLE, str(report))
    bar = progress_bar(200, "kaiming")
    bar.update(50)
    bar.refresh()
    assert report.read_text().strip().startswith("kaiming: 50/200 steps, 25%")
    bar.update(150)
    bar.close()
    assert report.read_text().strip().startswith("kaiming: 200/200 steps, 100%")
    assert report.read_text().count("\n") == 1 and not list(tmp_path.glob("*.partial"))


def test_without_a_label_or_outside_the_build_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(PROGRESS_FILE_VARIABLE, str(tmp_path / "bar"))
    progress_bar(10, None).update(10)
    assert not (tmp_path / "bar").exists()
    monkeypatch.delenv(PROGRESS_FILE_VARIABLE)
    progress_bar(10, "kaiming").close()  # a terminal bar (silent here: not a terminal)
    assert not (tmp_path / "bar").exists()
