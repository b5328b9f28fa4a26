"""The one path jail (mlops_jupyter/paths.py) against hostile paths."""

from __future__ import annotations

import os

import pytest

from mlops_jupyter import paths
from mlops_jupyter.exceptions import NotFoundError, UsageError


@pytest.fixture
def root(tmp_path):
    """``<tmp>/root`` with ``a/b.txt``, a link out of the root and a link inside it."""
    base = tmp_path / "root"
    (base / "a").mkdir(parents=True)
    (base / "a" / "b.txt").write_text("x")
    (tmp_path / "secret.txt").write_text("s")
    os.symlink(tmp_path / "secret.txt", base / "out.txt")
    os.symlink(tmp_path, base / "outdir")
    os.symlink(base / "a" / "b.txt", base / "in.txt")
    os.symlink(base / "loop", base / "loop")
    return base


HOSTILE = [
    (None, "empty"),
    ("", "empty"),
    ("   ", "empty"),
    (42, "empty"),
    ("a/" * 600, "too_long"),
    ("a\0b", "characters"),
    ("a\nb", "characters"),
    ("a\x7fb", "characters"),
    ("a/%2e%2e/%2e%2e/x", "characters"),
    ("a%2Fb", "characters"),
    ("a%5cb", "characters"),
    ("a%00", "characters"),
    ("/etc/passwd", "absolute"),
    ("\\windows\\system32", "absolute"),
    ("~root/.ssh", "absolute"),
    ("C:/x", "absolute"),
    ("c:x", "absolute"),
    ("../x", "parent"),
    ("a/../../x", "parent"),
    ("a\\..\\..\\x", "parent"),
    ("a/\ud800", "unicode"),
    ("x" * 256, "name_too_long"),
    ("out.txt", "outside"),
    ("outdir/secret.txt", "outside"),
    ("loop", "unreadable"),
]


@pytest.mark.parametrize("relative,reason", HOSTILE)
def test_hostile_paths_are_refused_with_one_line(root, relative, reason):
    with pytest.raises(paths.PathRefusedError) as refused:
        paths.resolve_inside(root, relative, what="target")
    assert refused.value.reason == reason
    assert isinstance(refused.value, UsageError)
    message = str(refused.value)
    assert "\n" not in message and str(root) not in message and "target" in message
    assert paths.inside(root, relative, parent_refs=False) is None


def test_parent_refs_only_when_allowed_and_never_outside(root):
    assert paths.resolve_inside(root, "a/../a/b.txt", parent_refs=True) == root / "a" / "b.txt"
    with pytest.raises(paths.PathRefusedError) as refused:
        paths.resolve_inside(root, "a/../../x", parent_refs=True)
    assert refused.value.reason == "outside"
    assert paths.inside(root, "a/../a/b.txt") == root / "a" / "b.txt"
    assert paths.inside(root, "../root/a/b.txt") == root / "a" / "b.txt"
    assert paths.inside(root, "../x") is None


def test_accepted_paths_resolve_inside(root):
    assert paths.resolve_inside(root, "a/b.txt", must_exist=True) == root / "a" / "b.txt"
    assert paths.resolve_inside(root, "in.txt") == root / "a" / "b.txt"  # a link inside
    assert paths.resolve_inside(root, "new/file.txt") == root / "new" / "file.txt"
    assert paths.resolve_inside(root, "x" * 255) == root / ("x" * 255)


def test_missing_file_is_not_found(root):
    with pytest.raises(NotFoundError, match=r"^target 'nope.txt' does not exist$"):
        paths.resolve_inside(root, "nope.txt", what="target", must_exist=True)


def test_messages_name_the_path_and_the_root(root):
    with pytest.raises(UsageError, match=r"^target must be relative to the server root$"):
        paths.resolve_inside(root, "/etc/passwd", what="target")
    with pytest.raises(UsageError, match=r"^data may not contain '\.\.'$"):
        paths.resolve_inside(root, "../d.csv", what="data", within="the pipeline folder")
    with pytest.raises(UsageError, match=r"^data leads outside the pipeline folder$"):
        paths.resolve_inside(root, "out.txt", what="data", within="the pipeline folder")


def test_relative_to_root(root):
    assert paths.relative_to_root(root, root / "a" / "b.txt") == "a/b.txt"
    with pytest.raises(paths.PathRefusedError):
        paths.relative_to_root(root, root.parent / "secret.txt")


def test_scrub_removes_absolute_roots(root, tmp_path):
    link = tmp_path / "link"
    os.symlink(root, link)
    text = f"cannot read {root}/a/b.txt in {root} (also {link}/a and {link})"
    assert paths.scrub(text, link) == "cannot read a/b.txt in . (also a and .)"
    assert paths.scrub("at / and /x", "/", None) == "at / and /x"


def test_relative_if_inside_shows_files_under_the_root_without_their_location(tmp_path):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (tmp_path / "link").symlink_to(root)
    assert paths.relative_if_inside(root, root / "a" / "x.ipynb") == "a/x.ipynb"
    assert paths.relative_if_inside(root, str(tmp_path / "link" / "a")) == "a"
    assert paths.relative_if_inside(root, root) == "."
    assert paths.relative_if_inside(root, tmp_path / "elsewhere.csv") is None
    assert paths.relative_if_inside(root, root / ".." / "escape") is None
    assert paths.relative_if_inside(root, "a/x.ipynb") is None  # relative: not a location
