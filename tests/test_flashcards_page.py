"""site_build.flashcards_page: the Anki package is written once per change of what it is made from."""

from flashcards import anki
from site_build import flashcards_page
from site_build.flashcards_page import ANKI_PACKAGE, pages


def test_the_anki_package_is_read_back_until_its_inputs_change(tmp_path, monkeypatch):
    monkeypatch.setattr(flashcards_page, "SITE_CACHE", tmp_path)
    monkeypatch.delenv("SITE_URL", raising=False)
    exports = []
    export = anki.export_anki
    monkeypatch.setattr(anki, "export_anki", lambda *args: exports.append(args) or export(*args))

    first = pages()[ANKI_PACKAGE]
    assert pages()[ANKI_PACKAGE] == first and len(exports) == 1
    monkeypatch.setenv("SITE_URL", "https://example.org/deep-nets-wont-train/")
    assert pages()[ANKI_PACKAGE] != first and len(exports) == 2, "its notes link to the published lesson"
