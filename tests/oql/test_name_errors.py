"""Names that do not exist (components, metrics, columns, pointers, run ids) and pipes in the wrong place: what the
rendered error says, where its caret points, and that the command line reports them without a traceback."""
from __future__ import annotations

import pytest

from obsql.cli import EXIT_BAD_INPUT, main
from obsql.errors import ObsqlError, render_text
from tests.oql.conftest import answer


def with_known_bugs(cases: list[tuple], bugs: dict[str, str]) -> list:
    """The cases as parameters, those whose query is in `bugs` marked as expected to fail for that reason."""
    return [pytest.param(*case, id=case[0],
                         marks=[pytest.mark.xfail(strict=True, reason=bugs[case[0]])] if case[0] in bugs else [])
            for case in cases]


def did_you_mean(name: str) -> str:
    return f"did you mean '{name}'?"


RANK_NOT_AFTER_SLICE = "'| rank runs' ranks the runs of traces: put it right after `trace outputs of ...`"

# (bad query, what the rendered error must contain)
NAME_ERRORS = [
    ("runs of trian", ["error (name)", "no component 'trian' in this store", did_you_mean("train")]),
    ("stale of trian", ["no component 'trian'", did_you_mean("train")]),
    ("history trian", ["no component 'trian'", did_you_mean("train")]),
    ("compare trian with infer", ["no component 'trian'", did_you_mean("train")]),
    ("compare train with infr", ["no component 'infr'", did_you_mean("infer")]),
    ("trace outputs of infr | rank runs", ["no component 'infr'", did_you_mean("infer")]),
    ("expect runs of trian is empty", ["no component 'trian'", did_you_mean("train")]),
    ("history train metric acuracy", ["no metric 'acuracy' for component 'train'", did_you_mean("accuracy")]),
    ("history clean metric row", ["no metric 'row' for component 'clean'", did_you_mean("rows")]),
    ("runs where statuss = 'ok'", ["error (name)", "no column 'statuss' here", did_you_mean("status")]),
    ("runs | where statuss = 'ok'", ["no column 'statuss' here", did_you_mean("status")]),
    ("runs | select run_id, compnent", ["no column 'compnent' here", did_you_mean("component")]),
    ("runs | order by strat_time desc", ["no column 'strat_time' here", did_you_mean("start_time")]),
    ("runs | group by componnt", ["no column 'componnt' here", did_you_mean("component")]),
    ("trace 'pred-1' | select dept", ["no column 'dept' here", did_you_mean("depth")]),
    ("trace 'pred-4'", ["error (name)", "no pointer 'pred-4' in this store", did_you_mean("pred-1")]),
    ("trace 'modle.pkl'", ["no pointer 'modle.pkl'", did_you_mean("model.pkl")]),
    ("trace forward 'pred-4'", ["no pointer 'pred-4' in this store", did_you_mean("pred-1")]),
    ("flag 'pred-4'", ["no pointer 'pred-4' in this store", did_you_mean("pred-1")]),
    ("unflag 'pred-4'", ["no pointer 'pred-4' in this store", did_you_mean("pred-1")]),
    ("inspect 'pred-4'", ["no pointer 'pred-4' in this store", did_you_mean("pred-1")]),
    ("inspect run 'ZZZ'", ["no run id starts with 'ZZZ'", "`recent` lists the latest runs"]),
    ("inspect run '01'", ["'01' matches several runs (01", "hint: type more of the id"]),
    ("runs | rank runs", [RANK_NOT_AFTER_SLICE, "hint: trace outputs of inference | rank runs"]),
    ("trace 'pred-1' | rank runs", [RANK_NOT_AFTER_SLICE]),
    ("stale | rank runs", [RANK_NOT_AFTER_SLICE]),
    ("trace outputs of infer | where depth > 0 | rank runs", [RANK_NOT_AFTER_SLICE]),
    ("runs | group by component aggregate status", ["'status' is not an aggregate (count, sum, avg"]),
    ("runs | group by component aggregate duration_s + 1", ["'duration_s + 1' is not an aggregate"]),
]

# (bad query, the line and column the caret must point at: the start of the bad name or pipe)
CARETS = [
    ("runs of trian", 1, 9),
    ("stale of trian", 1, 10),
    ("history trian", 1, 9),
    ("trace outputs of infr", 1, 18),
    ("compare trian with infer", 1, 9),
    ("compare train with infr", 1, 20),
    ("history train metric acuracy", 1, 22),
    ("runs where statuss = 'ok'", 1, 12),
    ("runs | where statuss = 'ok'", 1, 14),
    ("runs | select run_id, compnent", 1, 23),
    ("runs | order by strat_time", 1, 17),
    ("runs | group by component aggregate avg(duratoin_s)", 1, 41),
    ("runs;\nruns | where x = 1", 2, 14),
    ("runs | select run_id as r | where run_id = 'x'", 1, 35),
    ("runs | select run_id | select run_id, status", 1, 39),
    ("expect runs | select run_id as r | count(*) > 0 and max(run_id) > ''", 1, 57),
    ("runs where component = 'x' | select run_id as r | where component = 'y'", 1, 57),
    ("trace 'pred-1' | select run_id as r | where run_id = 'x'", 1, 45),
    ("trace outputs of infer | rank runs | select run_id as r | where coverage > 0.5", 1, 65),
    ("trace 'pred-1' | rank runs", 1, 16),
    ("runs | group by component aggregate status", 1, 37),
]

MESSAGE_BUGS: dict[str, str] = {}
CARET_BUGS: dict[str, str] = {}


def error_of(store, text: str) -> ObsqlError:
    with pytest.raises(ObsqlError) as caught:
        answer(store, text)
    return caught.value


def caret_column(rendered: str) -> int:
    """The column a rendered error's caret sits under (the quoted source line is indented by two spaces)."""
    caret_line = next(line for line in rendered.splitlines() if line.strip() == "^")
    return caret_line.index("^") - 1


@pytest.mark.parametrize("text, fragments", with_known_bugs(NAME_ERRORS, MESSAGE_BUGS))
def test_error_names_the_problem(small, text, fragments):
    rendered = render_text(error_of(small, text))
    for fragment in fragments:
        assert fragment in rendered


@pytest.mark.parametrize("text, line, column", with_known_bugs(CARETS, CARET_BUGS))
def test_caret_points_at_the_bad_name(small, text, line, column):
    error = error_of(small, text)
    assert (error.line, error.column) == (line, column)
    rendered = render_text(error)
    assert f"  {text.splitlines()[line - 1]}\n" in rendered
    assert caret_column(rendered) == column


@pytest.mark.parametrize("text, fragments", NAME_ERRORS, ids=[text for text, _ in NAME_ERRORS])
def test_command_line_exits_2_with_the_message(small, capsys, text, fragments):
    """In process, so an exception escaping `main` (a traceback, from the shell) fails the test."""
    assert main(["--store", str(small.path), "-c", text]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error (") and fragments[0] in err


def test_a_large_store_suggests_only_pointers_sharing_a_stem(small, monkeypatch):
    """Comparing an unknown pointer with every pointer took 3.5 s at 10M runs: past MAX_POINTERS_COMPARED only
    pointers sharing a beginning with it are compared."""
    from obsql.engine import walks
    monkeypatch.setattr(walks, "MAX_POINTERS_COMPARED", 0)
    assert did_you_mean("model.pkl") in render_text(error_of(small, "trace 'model.pkx'"))  # shares 'model.p'
    assert "did you mean" not in render_text(error_of(small, "trace 'modle.pkl'"))  # shares only 'm': not asked
