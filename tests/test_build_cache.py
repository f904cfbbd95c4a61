"""site_build.build_cache: what a rebuild reads back instead of making again."""

from site_build.build_cache import cached


def test_made_once_then_read_back(tmp_path):
    made = []

    def make():
        made.append(1)
        return b"made"

    assert cached(tmp_path, "thing-{}.bin", "key1", make) == b"made"
    assert cached(tmp_path, "thing-{}.bin", "key1", make) == b"made"
    assert len(made) == 1


def test_a_new_key_replaces_the_old_file_and_leaves_other_names(tmp_path):
    cached(tmp_path, "thing-{}.bin", "key1", lambda: b"old")
    cached(tmp_path, "other-{}.bin", "key1", lambda: b"other")
    assert cached(tmp_path, "thing-{}.bin", "key2", lambda: b"new") == b"new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["other-key1.bin", "thing-key2.bin"]
