"""The shell's folder of personal files: the optional config file (written with comments on first run) and the
history of statements. A folder that cannot be written costs a warning, never the session."""
from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from prompt_toolkit.history import FileHistory, History, InMemoryHistory

from obsql.render.formats import FORMATS
from obsql.repl.display import EXPANDED

Warn = Callable[[str], None]
SECTION = "shell"
DEFAULT_CONFIG = f"""\
# obsql shell settings. Lines starting with # are comments; delete this file to get the defaults back.
[{SECTION}]
# How results print: table, csv, json, markdown or line (the shell's .mode).
mode = table
# Rows as column = value lines in table mode: on, off, or auto for a few rows too wide for the screen (.x).
expanded = auto
# Print how long each statement took: on or off (.timer).
timer = off
# Print the SQL each statement compiled to before its result: on or off (.explain).
explain = off
# Show results taller than the screen through $PAGER (less when unset): on or off (.pager).
pager = on
"""


@dataclass
class Settings:
    """What the dot commands change; the config file gives their values at start."""

    mode: str = "table"
    expanded: str = "auto"
    timer: bool = False
    explain: bool = False
    pager: bool = True


def config_dir() -> Path:
    """`$XDG_CONFIG_HOME/obsql`, else `~/.config/obsql`."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "obsql"


def load_settings(folder: Path, warn: Warn) -> Settings:
    """The settings in `folder/config`, writing a commented default file there when there is none."""
    path = folder / "config"
    if not path.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(DEFAULT_CONFIG, encoding="utf-8")
        except OSError as exc:
            warn(f"could not write the config file {path}: {exc.strerror or exc}; using the defaults")
        return Settings()
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error) as exc:
        warn(f"could not read the config file {path}: {exc}; using the defaults")
        return Settings()
    return _settings_from(parser[SECTION] if parser.has_section(SECTION) else {}, path, warn)


def _settings_from(values, path: Path, warn: Warn) -> Settings:
    settings = Settings()
    mode = values.get("mode", settings.mode)
    if mode in FORMATS:
        settings.mode = mode
    else:
        warn(f"{path}: mode must be one of {', '.join(FORMATS)}, not '{mode}'")
    expanded = values.get("expanded", settings.expanded).lower()
    if expanded in EXPANDED:
        settings.expanded = expanded
    else:
        warn(f"{path}: expanded must be one of {', '.join(EXPANDED)}, not '{expanded}'")
    for name in ("timer", "explain", "pager"):
        text = values.get(name)
        if text is None:
            continue
        if text.lower() in ("on", "off"):
            setattr(settings, name, text.lower() == "on")
        else:
            warn(f"{path}: {name} must be on or off, not '{text}'")
    return settings


def open_history(folder: Path, warn: Warn) -> History:
    """The statements typed in earlier sessions, kept in `folder/history`; in memory when that cannot be written."""
    path = folder / "history"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        warn(f"could not write the history file {path}: {exc.strerror or exc}; history lasts this session only")
        return InMemoryHistory()
    return FileHistory(str(path))
