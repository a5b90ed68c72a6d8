"""Sparklines, the history view, the pager's fit rule, and Ctrl-C during a statement."""
from __future__ import annotations

import _thread
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from obsql.result import Result
from obsql.repl import pager
from obsql.repl.cancel import run_cancellable
from obsql.repl.display import result_text
from obsql.repl.sparkline import sparkline, sparklines

T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(("values", "width", "line"), [
    ([1, 2, 3, 4, 5, 6, 7, 8], 20, "▁▂▃▄▅▆▇█"),
    ([0, 10], 20, "▁█"),
    ([5, 5, 5], 20, "▄▄▄"),
    ([1, None, 3], 20, "▁ █"),
    ([None, None], 20, ""),
    ([0, 0, 10, 10], 2, "▁█"),  # squeezed: means of neighbours
    ([0, 2, None, None], 2, "▄ "),  # one value alone sits in the middle
])
def test_sparkline(values, width, line):
    assert sparkline(values, width) == line


def history(rows, columns=("start_time", "run_id", "accuracy", "rows")) -> Result:
    return Result(list(columns), rows, shape="history")


def test_history_view_is_the_table_then_a_sparkline_per_metric():
    result = history([(T0 + timedelta(days=i), f"r{i}", 0.5 + i / 10, 100 * i) for i in range(4)])
    text = result_text(result, "table", 80)
    assert text.startswith("start_time")
    assert text.endswith("(4 rows)\n\n"
                         "accuracy  ▁▃▆█  min 0.5  max 0.8  last 0.8\n"
                         "rows      ▁▃▆█  min 0  max 300  last 300")
    assert "▁" not in result_text(result, "csv", 80)


def test_results_without_times_or_numbers_get_no_sparklines():
    assert sparklines(Result(["a"], [(1,)], shape="history"), 80) == []
    assert sparklines(history([(T0, "r", None, None)]), 80) == []


@pytest.mark.parametrize(("text", "fits"), [
    ("a\nb", True),
    ("\n".join(["x"] * 23), True),
    ("\n".join(["x"] * 24), False),  # the prompt needs the last line
    ("x" * 200, True),  # a short result prints inline even when a line is wide: keys then go to the prompt
])
def test_text_fits_a_screen_24_lines_tall(text, fits):
    assert pager.fits(text, 24) is fits


@pytest.mark.parametrize(("environment", "command"), [("less -R", "less -R"), ("", None), ("  ", None)])
def test_pager_command_follows_the_pager_variable(monkeypatch, environment, command):
    monkeypatch.setenv("PAGER", environment)
    assert pager.pager_command() == command


def test_ctrl_c_interrupts_the_work_until_it_gives_up():
    stop = threading.Event()
    interrupts = []

    def work():
        stop.wait()
        raise RuntimeError("query cancelled")

    def interrupt():
        interrupts.append(1)
        stop.set()

    def press_ctrl_c_once_the_shell_waits():
        main = threading.main_thread().ident
        while not _waiting_in(sys._current_frames().get(main), run_cancellable.__code__):
            time.sleep(0.01)
        _thread.interrupt_main()

    threading.Thread(target=press_ctrl_c_once_the_shell_waits).start()
    with pytest.raises(RuntimeError, match="query cancelled"):
        run_cancellable(work, interrupt)
    assert interrupts


def _waiting_in(frame, code) -> bool:
    """Whether `frame` is an Event wait called from `code`."""
    return frame is not None and frame.f_code.co_name == "wait" and any(
        f.f_code is code for f in _callers(frame))


def _callers(frame):
    while frame is not None:
        yield frame
        frame = frame.f_back


def test_work_that_ends_returns_its_value():
    assert run_cancellable(lambda: 42, lambda: None) == 42
