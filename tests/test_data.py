import itertools
import random

import pytest
import torch

from engine.data import DEFAULT_NAMES, STOI, VOCAB, DataError, build_windows, load_dataset, read_names
from tests.conftest import run_python


def test_vocabulary_is_dot_and_lowercase_letters():
    assert VOCAB == ".abcdefghijklmnopqrstuvwxyz" and len(VOCAB) == 27


def test_windows_of_one_name():
    X, Y = build_windows(["emma"])
    assert X.tolist() == [[0, 0, 0], [0, 0, 5], [0, 5, 13], [5, 13, 13], [13, 13, 1]]
    assert [VOCAB[i] for i in Y] == ["e", "m", "m", "a", "."]


def test_shipped_names_file():
    names = read_names(DEFAULT_NAMES)
    assert len(names) == 32952
    assert names[:3] == ["emma", "olivia", "sophia"]


def test_split_is_80_10_10_by_name_and_deterministic(dataset):
    n = len(dataset.words)
    n1, n2 = int(0.8 * n), int(0.9 * n)
    assert len(dataset.Xtr) == sum(len(w) + 1 for w in dataset.words[:n1])
    assert len(dataset.Xval) == sum(len(w) + 1 for w in dataset.words[n1:n2])
    assert len(dataset.Xte) == sum(len(w) + 1 for w in dataset.words[n2:])
    assert dataset.Xtr.shape[1] == 3 and dataset.Xtr.dtype == torch.long
    from engine.data import _load

    _load.cache_clear()
    again = load_dataset()
    assert again.words == dataset.words and torch.equal(again.Xtr, dataset.Xtr)


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        (b"", "holds no names"),
        (b"\n  \n", "holds no names"),
        (b"anna\nbob\nZoe\n", "line 3: character 'Z' is outside a–z"),
        (b"anna\nj\xc3\xa9r\xc3\xb4me\n", "line 2: character 'é' is outside a–z"),
        (b"anna\nbo b\n", "line 2: character ' ' is outside a–z"),
        (b"\x89PNG\r\n\x1a\n\0\0\0", "not a text file"),
        (b"anna\n\xff\xfe\n", "line 2: not UTF-8"),
        (b"anna\nbob\n", "an 80/10/10 split needs at least 10"),
    ],
)
def test_bad_names_files_give_one_line_messages(tmp_path, content, message):
    path = tmp_path / "names.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError) as err:
        load_dataset(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_a_directory_is_not_a_names_file(tmp_path):
    with pytest.raises(DataError, match="is a directory"):
        load_dataset(tmp_path)


def test_windows_file_endings_and_blank_lines_are_fine(tmp_path):
    path = tmp_path / "names.txt"
    path.write_bytes(b"anna\r\n\r\nbob\r\n")
    assert read_names(path) == ["anna", "bob"]


def test_a_byte_order_mark_is_fine_and_line_numbers_count_newlines_only(tmp_path):
    names = tmp_path / "names.txt"
    names.write_bytes("\ufeffanna\nbob\n".encode())
    assert read_names(names) == ["anna", "bob"]
    names.write_text("anna\nbo\u2028b\ncarl\n")
    with pytest.raises(DataError, match=r"line 2: character '\\u2028' is outside a–z"):
        read_names(names)
    names.write_text("anna\fbob\ncarl\n")
    with pytest.raises(DataError, match=r"line 1: character '\\x0c'"):
        read_names(names)


def test_one_name_is_one_name(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("anna\n")
    with pytest.raises(DataError, match="holds 1 name; an 80/10/10 split needs at least 10"):
        load_dataset(names)


def test_an_unreadable_file_is_one_line(tmp_path, monkeypatch):
    names = tmp_path / "names.txt"
    names.write_text("anna\n")
    monkeypatch.setattr(type(names), "read_bytes", lambda self: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    with pytest.raises(DataError, match="permission denied"):
        read_names(names)


def lecture_windows(words, block_size=3):
    """The lecture's loop, character by character: the reference for build_windows."""
    contexts, targets = [], []
    for word in words:
        context = [0] * block_size
        for ch in word + ".":
            contexts.append(context)
            targets.append(STOI[ch])
            context = context[1:] + [STOI[ch]]
    return torch.tensor(contexts, dtype=torch.long), torch.tensor(targets, dtype=torch.long)


def test_windows_are_the_lectures(dataset):
    for words in (["emma"], ["a", "bo", "xyzzy"], list(dataset.words[:3000])):
        X, Y = build_windows(words)
        X_ref, Y_ref = lecture_windows(words)
        assert torch.equal(X, X_ref) and torch.equal(Y, Y_ref) and X.dtype == Y.dtype == torch.long
    X, Y = build_windows([])
    assert X.shape == (0, 3) and Y.shape == (0,)


def test_loading_takes_a_small_multiple_of_the_file(tmp_path):
    """A 5 MB names file: list-of-lists windows peaked at about 130× its size; int64 tensors alone need about 36×."""
    names = tmp_path / "names.txt"
    rng = random.Random(0)
    lengths = [rng.randint(3, 9) for _ in range(800_000)]
    letters = "".join(rng.choices("abcdefghij", k=sum(lengths)))  # drawn at once: a second, not several
    ends = list(itertools.accumulate(lengths))
    names.write_text("\n".join(letters[end - length:end] for end, length in zip(ends, lengths)))
    size = names.stat().st_size
    code = (f"import resource; from engine.data import load_dataset; base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
            f"load_dataset({str(names)!r}); print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024)")
    result = run_python("-c", code)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 70 * size, f"{int(result.stdout) / size:.0f}× the file's size"
