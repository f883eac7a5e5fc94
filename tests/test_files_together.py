"""Files that belong together (an issue's HTML and text part, a snapshot with its rejects and
report) are replaced all or none: a rename that fails after another one succeeded puts the
first back, where renaming them one at a time left the new HTML beside last week's text.
Failures are real ones of the file system (a temporary file gone, a target made a folder),
on real files in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsletter.util.files import replacing_all


def _pair(folder: Path) -> tuple[Path, Path]:
    html, text = folder / "issue.html", folder / "issue.txt"
    html.write_text("old html", encoding="utf-8")
    text.write_text("old text", encoding="utf-8")
    return html, text


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("hard_links", [True, False], ids=["hard-links", "no-hard-links"])
def test_a_rename_that_fails_after_another_succeeded_puts_the_first_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hard_links: bool
) -> None:
    """The text part is renamed first; the HTML's rename then fails (its temporary file is
    gone): the text part was left new beside the old HTML. Where the file system takes no
    hard link, each old file is renamed away as its backup (the target missing meanwhile)
    and put back all the same."""
    html, text = _pair(tmp_path)
    if not hard_links:
        _no_hard_links(monkeypatch)
    with pytest.raises(FileNotFoundError), replacing_all(html, text) as (html_tmp, text_tmp):
        html_tmp.write_text("new html", encoding="utf-8")
        text_tmp.write_text("new text", encoding="utf-8")
        html_tmp.unlink()  # the HTML's rename, the second, fails
    assert html.read_text(encoding="utf-8") == "old html"
    assert text.read_text(encoding="utf-8") == "old text"
    assert _hidden(tmp_path) == []  # no temporary file, no backup left


def test_a_target_made_a_folder_meanwhile_changes_neither_file(tmp_path: Path) -> None:
    html, text = _pair(tmp_path)
    with pytest.raises(IsADirectoryError), replacing_all(text, html) as (text_tmp, html_tmp):
        text_tmp.write_text("new text", encoding="utf-8")
        html_tmp.write_text("new html", encoding="utf-8")
        text.unlink()
        text.mkdir()  # another program's folder where the text part goes
        (text / "keep").write_text("theirs", encoding="utf-8")
    assert html.read_text(encoding="utf-8") == "old html"
    assert (text / "keep").read_text(encoding="utf-8") == "theirs"
    assert _hidden(tmp_path) == []


def test_new_files_are_all_removed_when_one_cannot_be_placed(tmp_path: Path) -> None:
    html, text = tmp_path / "issue.html", tmp_path / "issue.txt"
    with pytest.raises(FileNotFoundError), replacing_all(html, text) as (html_tmp, text_tmp):
        text_tmp.write_text("new text", encoding="utf-8")
        html_tmp.unlink()
    assert not html.exists() and not text.exists()
    assert _hidden(tmp_path) == []


def test_an_interrupted_block_changes_nothing(tmp_path: Path) -> None:
    html, text = _pair(tmp_path)
    with pytest.raises(KeyboardInterrupt), replacing_all(html, text) as (html_tmp, text_tmp):
        html_tmp.write_text("new html", encoding="utf-8")
        text_tmp.write_text("new text", encoding="utf-8")
        raise KeyboardInterrupt
    assert (html.read_text(encoding="utf-8"), text.read_text(encoding="utf-8")) == (
        "old html",
        "old text",
    )
    assert _hidden(tmp_path) == []


def test_a_success_replaces_every_file_and_leaves_no_backup(tmp_path: Path) -> None:
    html, text = _pair(tmp_path)
    outside = tmp_path / "linked.txt"
    os.link(text, outside)  # another name of the old text: it keeps the old content
    link = tmp_path / "latest.html"
    link.symlink_to(html.name)
    with replacing_all(html, text, link) as (html_tmp, text_tmp, link_tmp):
        html_tmp.write_text("new html", encoding="utf-8")
        text_tmp.write_text("new text", encoding="utf-8")
        link_tmp.write_text("a file now", encoding="utf-8")
    assert html.read_text(encoding="utf-8") == "new html"
    assert text.read_text(encoding="utf-8") == "new text"
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "a file now"
    assert outside.read_text(encoding="utf-8") == "old text"
    assert _hidden(tmp_path) == []


def test_a_symbolic_link_replaced_and_then_put_back_is_the_same_link(tmp_path: Path) -> None:
    html, text = _pair(tmp_path)
    link = tmp_path / "latest.txt"
    link.symlink_to(text.name)
    with pytest.raises(FileNotFoundError), replacing_all(html, link) as (html_tmp, link_tmp):
        link_tmp.write_text("new", encoding="utf-8")
        html_tmp.unlink()
    assert link.is_symlink() and os.readlink(link) == text.name
    assert text.read_text(encoding="utf-8") == "old text"
    assert _hidden(tmp_path) == []


def _no_hard_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file system that takes no hard link (FAT, some network and FUSE ones): ``link``
    fails with EPERM, as there, and only ``link`` (the renames are the real ones)."""

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", refused)


def test_without_hard_links_a_success_replaces_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html, text = _pair(tmp_path)
    _no_hard_links(monkeypatch)
    with replacing_all(html, text) as (html_tmp, text_tmp):
        html_tmp.write_text("new html", encoding="utf-8")
        text_tmp.write_text("new text", encoding="utf-8")
    assert html.read_text(encoding="utf-8") == "new html"
    assert text.read_text(encoding="utf-8") == "new text"
    assert _hidden(tmp_path) == []
