"""Stage 1 of the pipeline: a names file becomes training examples.

A name like "emma" becomes five examples of (three previous characters → next one):
"..." → e, "..e" → m, ".em" → m, "emm" → a, "mma" → ".". The dot (index 0) marks
both the start and the end of a name, so the vocabulary is 27 symbols: '.' and a–z.
"""

from __future__ import annotations

import io
import os
import random
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from engine.settings import DEFAULT_NAMES, REPO_ROOT

VOCAB = "." + "abcdefghijklmnopqrstuvwxyz"
VOCAB_SIZE = len(VOCAB)  # 27
STOI = {ch: i for i, ch in enumerate(VOCAB)}
BLOCK_SIZE = 3  # how many characters of context predict the next one
SPLIT_SEED = 42  # the lecture's random.seed(42): same shuffle, same split
PROBE_SEED = 7  # the fixed batch that nets are examined on at initialisation (see probe_batch)


class DataError(ValueError):
    """A names file we cannot use; the message is one line naming the file and the fix."""


def read_names(path: str | Path) -> list[str]:
    """Read one lowercase a–z name per line; blank lines are skipped, a UTF-8 byte-order mark is allowed."""
    path = Path(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise DataError(f"{path}: is a directory, not a names file")
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block, or never end
            raise DataError(f"{path}: not a regular file (expected a text file with one name per line)")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file (expected a text file with one name per line)") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied (the names file must be readable)") from None
    except OSError as err:  # a symlink loop, a name too long, an I/O error
        raise DataError(f"{path}: cannot be read ({err.strerror or err})") from None
    if b"\0" in raw:
        raise DataError(f"{path}: not a text file (it contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataError(f"{path}, line {line}: not UTF-8 text (is this really a names file?)") from None
    names = []
    del raw
    # Lines end at \n only (and \r\n), as an editor counts them: a stray form feed is a bad character, not a line end.
    # Read one at a time: a list of every line would cost more memory than the names themselves.
    for number, line in enumerate(io.StringIO(text, newline="\n"), start=1):
        name = line.strip()
        if not name:
            continue
        for ch in name:
            if ch not in STOI or ch == ".":
                raise DataError(
                    f"{path}, line {number}: character {ch!r} is outside a–z "
                    "(the vocabulary is lowercase a–z, one name per line)"
                )
        names.append(name)
    if not names:
        raise DataError(f"{path}: holds no names (expected one name per line)")
    return names


def build_windows(words: list[str], block_size: int = BLOCK_SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (context of block_size indices → next index) pair of every word, in order.

    The lecture builds them one character at a time in Python lists; a list of lists takes
    about a hundred times the names file's size in memory, so here the same pairs come from
    tensors: each word is written as block_size dots, its letters and a closing dot, all
    words run into one sequence, and a window starts at each of a word's len(word) + 1 first
    positions (tests/test_data.py checks the result against the lecture's loop).
    """
    if not words:
        return torch.empty((0, block_size), dtype=torch.long), torch.empty(0, dtype=torch.long)
    codes = "".join("." * block_size + word + "." for word in words).encode("ascii").translate(_CODES)
    sequence = torch.frombuffer(bytearray(codes), dtype=torch.uint8)  # one byte a character
    windows = torch.tensor([len(word) + 1 for word in words])  # per word
    segment_starts = torch.cumsum(windows + block_size, 0) - (windows + block_size)
    first_window = torch.cumsum(windows, 0) - windows  # index of each word's first window
    starts = torch.repeat_interleave(segment_starts - first_window, windows) + torch.arange(int(windows.sum()))
    X = torch.empty((len(starts), block_size), dtype=torch.long)
    for column in range(block_size):  # a column at a time: no (windows × block_size) index tensor
        X[:, column] = sequence[starts + column]
    return X, sequence[starts + block_size].long()


# ASCII code → vocabulary index, for the characters read_names lets through ('.' and a–z).
_CODES = bytes(STOI.get(chr(code), 0) for code in range(256))


@dataclass(frozen=True)
class Dataset:
    path: Path
    words: tuple[str, ...]  # in shuffled order
    Xtr: torch.Tensor
    Ytr: torch.Tensor
    Xval: torch.Tensor
    Yval: torch.Tensor
    Xte: torch.Tensor
    Yte: torch.Tensor

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        return {"train": (self.Xtr, self.Ytr), "val": (self.Xval, self.Yval), "test": (self.Xte, self.Yte)}[name]


def load_dataset(path: str | Path | None = None) -> Dataset:
    """Shuffle the names with the lecture's seed and split them 80/10/10 by name."""
    path = Path(path) if path is not None else DEFAULT_NAMES
    resolved = Path(os.path.realpath(path))  # unlike Path.resolve, never raises (a symlink loop is read_names' to report)
    # Cached by content, so a script that trains many nets builds the tensors once.
    return _load(resolved if resolved.exists() else path, _fingerprint(path))


def _fingerprint(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
        return (stat.st_mtime_ns, stat.st_size)
    except OSError:
        return None


@lru_cache(maxsize=4)
def _load(path: Path, _fingerprint: tuple[int, int] | None) -> Dataset:
    words = read_names(path)
    if len(words) < 10:
        raise DataError(f"{path}: holds {len(words)} name{'s' if len(words) != 1 else ''}; an 80/10/10 split needs at least 10")
    random.Random(SPLIT_SEED).shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    return Dataset(
        path, tuple(words), *build_windows(words[:n1]), *build_windows(words[n1:n2]), *build_windows(words[n2:])
    )


def probe_batch(data: Dataset, size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed batch of real training examples: every page that looks inside a net at initialisation uses this one."""
    ix = torch.randint(0, len(data.Xtr), (size,), generator=torch.Generator().manual_seed(PROBE_SEED))
    return data.Xtr[ix], data.Ytr[ix]
