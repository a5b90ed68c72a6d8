"""End to end: `obsql demo` at its default size, then the papers' questions, the example files and the README's
queries against it.

Each answer must point at the fault the demo baked in (the broken meter on 2020-02-18, the featuregen left unrefit
from 2020-03-02, the online features computed differently, the concept shift of 2020-03-22). This is the slowest
test of the suite (the whole demo, about half a minute), run once per session.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from obsql.cli import EXIT_BAD_INPUT, main
from obsql.demo.questions import ask
from obsql.engine.session import Engine

ROOT = Path(__file__).parents[2]
SHIFT = date(2020, 3, 22)


@pytest.fixture(scope="session")
def answers(demo_store) -> dict[str, list]:
    return {answer.number: answer.results for answer in ask(Engine.open(demo_store))}


def test_4_1_the_worst_day_is_the_broken_meter_and_its_failed_check_is_in_every_trace(answers):
    worst, stale = answers["4.1"]
    assert worst.rows[0][0].date() == date(2020, 2, 18)
    (component, start, coverage, reasons), *_ = stale.rows
    assert (component, start.date(), coverage) == ("etl", date(2020, 2, 18), 1.0)
    assert "null_fraction failed" in reasons[0] and "fare_amount" in reasons[0]


def test_4_2_accuracy_drops_with_the_shift_and_the_features_are_stale(answers):
    weekly, stale = answers["4.2"]
    accuracy = {row[0].date(): row[2] for row in weekly.rows}
    assert accuracy[date(2020, 3, 16)] - accuracy[date(2020, 3, 23)] > 0.1
    assert "featuregen" in stale.rows[0][1][0] and "days ago" in stale.rows[0][1][0]


def test_4_3_the_online_offline_skew_shows_in_the_skewed_columns_first(answers):
    (compared,) = answers["4.3"]
    assert compared.rows[0][0] in ("avg_speed_mph", "trip_duration_min")
    assert abs(compared.rows[0][4]) > 10 * abs(compared.rows[-1][4])


def test_4_4_the_top_run_of_the_complaints_is_the_featuregen_left_unrefit(answers):
    (ranked,) = answers["4.4"]
    rank, component, start, outputs, coverage = ranked.rows[0]
    assert (rank, component) == (1, "featuregen") and start.date() == date(2020, 2, 24) and coverage > 0.9


def test_m_1_the_estimate_tracks_before_the_shift_and_the_shift_is_called_concept_shift(answers):
    weekly, _drift, monitor, alerts = answers["M.1"]
    before = [row for row in weekly.rows if row[0].date() < SHIFT - timedelta(days=6)]
    assert before and all(abs(row[2] - row[3]) < 0.05 for row in before)
    start, message = monitor.rows[0]
    assert "concept shift" in message and "retrain on trips since" in message
    assert SHIFT <= start.date() <= SHIFT + timedelta(days=7)
    assert alerts.rows[0][2] == "violated" and SHIFT <= alerts.rows[0][0].date() <= SHIFT + timedelta(days=7)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.oql")), ids=lambda path: path.name)
def test_every_example_file_runs_against_the_demo(demo_store, path, capsys):
    code = main(["--store", str(demo_store), "-f", str(path)])
    assert code != EXIT_BAD_INPUT, capsys.readouterr().err  # expects may fail (the demo is from 2020); names exist


README_QUERIES = re.findall(r'^obsql -c "(.*)"', (ROOT / "README.md").read_text(encoding="utf-8"), re.M)


@pytest.mark.parametrize("text", README_QUERIES)
def test_every_query_of_the_readme_tour_runs_against_the_demo(demo_store, text, capsys):
    assert main(["--store", str(demo_store), "-c", text]) != EXIT_BAD_INPUT, capsys.readouterr().err


def test_the_readme_tour_has_queries():
    assert len(README_QUERIES) >= 10


@pytest.mark.parametrize("days", [1, 10])
def test_a_short_demo_ends_cleanly_and_says_which_questions_need_more_days(tmp_path, capsys, days):
    assert main(["demo", "--store", str(tmp_path / "store"), "--days", str(days)]) == 0
    out, err = capsys.readouterr()
    assert "not asked: it needs runs up to 2020-04-30" in out and "obsql demo --days 121 logs enough" in out
    last_day = f"2020-01-{days:02d}"  # not a terminal: a line per simulated month, and one at the end
    assert err.startswith(f"logging {days} simulated days") and f"logged up to {last_day} ({days} of {days} days" in err


def test_the_default_demo_asks_every_question(answers):
    assert all(answers.values())


def test_alerts_all_lists_the_resolved_outages_with_their_end_duration_and_worst_value(demo_store):
    engine = Engine.open(demo_store)
    episodes = engine.run("alerts all of inference between @2020-03-01 and @2020-05-01")[0].to_dicts()
    assert episodes and engine.run("alerts")[0].rows == []  # every one of them resolved by the end of the demo
    first = min(episodes, key=lambda e: e["since"])
    assert first["since"].date() >= SHIFT and first["until"] > first["since"]
    assert all(abs(e["duration_s"] - (e["until"] - e["since"]).total_seconds()) < 0.01 for e in episodes)
    assert all(e["worst"] < e["bound"] for e in episodes)  # the lowest value under a lower bound
