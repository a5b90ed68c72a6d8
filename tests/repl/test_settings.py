"""The config file (written with comments on first run) and the history file, and what happens when they can't be."""
from __future__ import annotations

import os

import pytest
from prompt_toolkit.history import FileHistory, InMemoryHistory

from obsql.repl.settings import DEFAULT_CONFIG, Settings, config_dir, load_settings, open_history


def test_the_folder_follows_xdg_config_home_else_dot_config(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_dir() == tmp_path / "obsql"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_dir() == tmp_path / "home" / ".config" / "obsql"


def test_first_run_writes_a_commented_config_that_reads_back_as_the_defaults(tmp_path):
    warnings: list[str] = []
    assert load_settings(tmp_path / "obsql", warnings.append) == Settings()
    text = (tmp_path / "obsql" / "config").read_text()
    assert text == DEFAULT_CONFIG and text.count("\n# ") >= 4
    assert load_settings(tmp_path / "obsql", warnings.append) == Settings()
    assert warnings == []


@pytest.mark.parametrize(("lines", "settings", "warning"), [
    ("mode = csv\ntimer = on\n", Settings(mode="csv", timer=True), None),
    ("explain = ON\npager = off\n", Settings(explain=True, pager=False), None),
    ("mode = xml\n", Settings(), "mode must be one of table, csv, json, markdown, line, not 'xml'"),
    ("timer = yes\n", Settings(), "timer must be on or off, not 'yes'"),
    ("this is not ini\n", Settings(), "could not read the config file"),
])
def test_config_values(tmp_path, lines, settings, warning):
    (tmp_path / "config").write_text("[shell]\n" + lines if "=" in lines else lines)
    warnings: list[str] = []
    assert load_settings(tmp_path, warnings.append) == settings
    assert (warning is None and warnings == []) or (warning is not None and warning in warnings[0])


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_an_unwritable_folder_costs_a_warning_only(tmp_path):
    tmp_path.chmod(0o500)
    try:
        warnings: list[str] = []
        assert load_settings(tmp_path / "obsql", warnings.append) == Settings()
        assert isinstance(open_history(tmp_path / "obsql", warnings.append), InMemoryHistory)
        assert len(warnings) == 2
    finally:
        tmp_path.chmod(0o700)


def test_a_folder_that_is_a_file_costs_a_warning_only(tmp_path):
    blocker = tmp_path / "obsql"
    blocker.write_text("not a folder")
    warnings: list[str] = []
    assert load_settings(blocker, warnings.append) == Settings()
    assert isinstance(open_history(blocker, warnings.append), InMemoryHistory)
    assert [w.split(":")[0] for w in warnings] == [f"could not write the config file {blocker}/config",
                                                  f"could not write the history file {blocker}/history"]


def test_history_is_kept_in_the_folder(tmp_path):
    history = open_history(tmp_path / "obsql", print)
    assert isinstance(history, FileHistory)
    history.store_string("runs;")
    assert list(open_history(tmp_path / "obsql", print).load_history_strings()) == ["runs;"]
