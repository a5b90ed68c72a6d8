"""Showing long output through a pager: `$PAGER`, else `less`, when the text is taller than the screen.

Only height decides: a short result, even one with a wide line, prints inline so the keys typed next go to the
prompt, not to a pager the user did not expect (tables are already fitted to the screen's width)."""
from __future__ import annotations

import os
import shutil
import subprocess

DEFAULT_PAGER = "less -SRFX"  # chop long lines, keep colours, quit when it fits, leave the text on screen


def fits(text: str, lines: int) -> bool:
    """Whether `text` shows whole on a screen `lines` tall (one line kept for the prompt)."""
    return len(text.splitlines()) < lines


def pager_command() -> str | None:
    """The pager to run: `$PAGER` when set (empty means none), else less when it is installed."""
    chosen = os.environ.get("PAGER")
    if chosen is not None:
        return chosen.strip() or None
    return DEFAULT_PAGER if shutil.which("less") else None


def page(text: str, command: str) -> bool:
    """Show `text` through the pager `command`; False when it could not be started."""
    try:
        process = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, text=True)
    except OSError:
        return False
    try:
        process.communicate(text + "\n")
    except (BrokenPipeError, KeyboardInterrupt):  # the reader quit early, or Ctrl-C in the pager
        process.wait()
    return True
