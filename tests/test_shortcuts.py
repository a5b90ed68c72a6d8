"""mltrace's commands as `obsql` subcommands: each answers exactly as the OQL it stands for, on a support-ticket
pipeline (owners, tags, a shared vocabulary read by every run, a pointer with a quote in its name)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import obsql
from obsql.cli import main
from obsql.shortcuts import SHORTCUTS

T0 = datetime(2021, 6, 1, tzinfo=timezone.utc)
VOCABULARY = "vocab/o'brien.json"  # a quote in a name: the OQL the shortcuts write must escape it


def _log(component, day: int, inputs, outputs, values=None, metrics=None) -> None:
    start = T0 + timedelta(days=day, hours=len(inputs))
    with obsql.run(component, inputs=inputs, start=start, end=start + timedelta(minutes=3)) as run:
        run.add_output(outputs, values=values)
        for name, value in (metrics or {}).items():
            run.log_metric(name, value)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("support") / "store"
    connected = obsql.connect(path)
    ingest = obsql.Component("ingest_tickets", owner="ops", tags=["raw"])
    embed = obsql.Component("embed", owner="ml", tags=["features", "prod"])
    route = obsql.Component("route", owner="ml", tags=["prod"])
    for day in range(4):
        _log(ingest, day, [f"crm/export-{day}.csv"], [f"tickets/day-{day}.parquet"], metrics={"rows": 100 + day})
        _log(embed, day, [f"tickets/day-{day}.parquet", VOCABULARY], [f"embeddings/day-{day}.npy"])
        _log(route, day, [f"embeddings/day-{day}.npy", "models/router.pt", "queues.csv"],
             [f"ticket-{day}-{i}" for i in range(3)], values=[0.2, 0.5, 0.9], metrics={"confidence": 0.6 + day / 10})
    connected.tag("route", "reviewed")
    connected.flush()
    yield connected
    connected.close()


def obsql_cli(capsys, store, *args: str) -> tuple[int, str, str]:
    """`obsql --store S ARGS` in this process: exit code, stdout, stderr."""
    capsys.readouterr()
    code = main(["--store", str(store.path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_id_of(store, component: str) -> str:
    return store.query(f"runs of {component} | order by start_time desc | limit 1").rows[0][0]


# (shortcut arguments, the OQL a user would type for it, rows it must answer with at least)
READS = [
    (["recent", "--limit", "4"], "recent 4", 4),
    (["recent", "2"], "recent 2", 2),
    (["recent"], "recent", 10),
    (["history", "route", "--limit", "2"], "history route | order by start_time desc | limit 2", 2),
    (["history", "ingest_tickets"], "history ingest_tickets | order by start_time desc", 4),
    (["trace", "ticket-3-2"], "trace 'ticket-3-2'", 3),
    (["components", "--owner", "ml"], "components where owner = 'ml'", 2),
    (["components", "--tag", "prod"], "components where list_contains(tags, 'prod')", 2),
    (["components", "--owner", "ml", "--tag", "features"],
     "components where owner = 'ml' and list_contains(tags, 'features')", 1),
    (["components"], "components", 3),
    (["tags"], "tags", 4),
    (["review", "--limit", "3"], "review | limit 3", 0),
]


@pytest.mark.parametrize("args, oql, at_least", READS, ids=[" ".join(args) for args, _, _ in READS])
def test_a_shortcut_answers_as_its_oql(capsys, store, args, oql, at_least):
    code, shortcut_out, _ = obsql_cli(capsys, store, *args, "--format", "csv")
    expected_code, oql_out, _ = obsql_cli(capsys, store, "--format", "csv", "-c", oql)
    assert (code, shortcut_out) == (expected_code, oql_out) == (0, oql_out)
    assert len(oql_out.splitlines()) - 1 >= at_least  # a header, then the rows


def test_inspect_takes_a_run_id_or_its_prefix(capsys, store):
    run_id = run_id_of(store, "embed")
    for given in (run_id, run_id[:20]):
        code, out, _ = obsql_cli(capsys, store, "inspect", given)
        assert code == 0 and out == obsql_cli(capsys, store, "-c", f"inspect run '{given}'")[1]
        assert run_id in out and VOCABULARY in out


def test_a_quote_in_a_name_is_escaped(capsys, store):
    code, out, _ = obsql_cli(capsys, store, "trace", "embeddings/day-1.npy", "--format", "csv")
    assert code == 0 and "embed" in out
    assert obsql_cli(capsys, store, "flag", VOCABULARY, "--show-oql")[1] == "flag 'vocab/o''brien.json'\n"


def test_tags_lists_each_current_tag_with_its_components(capsys, store):
    rows = store.query("tags").rows
    assert [(tag, list(components), n) for tag, components, n in rows] == [
        ("features", ["embed"], 1), ("prod", ["embed", "route"], 2), ("raw", ["ingest_tickets"], 1),
        ("reviewed", ["route"], 1)]


def test_flag_unflag_and_review_change_the_flags_as_their_oql_does(capsys, store):
    assert obsql_cli(capsys, store, "flag", "ticket-0-2", "ticket-1-2", "--output_id", "ticket-2-2")[0] == 0
    assert sorted(store.flagged()) == ["ticket-0-2", "ticket-1-2", "ticket-2-2"]
    code, review, _ = obsql_cli(capsys, store, "review", "--limit", "2", "--format", "csv")
    assert code == 0 and review == obsql_cli(capsys, store, "--format", "csv", "-c", "review | limit 2")[1]
    assert len(review.splitlines()) == 3
    assert obsql_cli(capsys, store, "unflag", "ticket-0-2", "--output-id", "ticket-1-2")[0] == 0
    assert store.flagged() == ["ticket-2-2"]
    assert obsql_cli(capsys, store, "unflag", "--all")[0] == 0
    assert store.flagged() == []


def test_options_before_the_subcommand_are_kept(capsys, store):
    code, out, _ = obsql_cli(capsys, store, "--format", "json", "tags")
    assert code == 0 and out == obsql_cli(capsys, store, "--format", "json", "-c", "tags")[1]
    assert out.lstrip().startswith("[")


# (arguments, what standard error says): bad input exits 2 and writes nothing
BAD = [
    (["unflag"], "name at least one output id"),
    (["flag"], "name at least one output id"),
    (["unflag", "--all", "ticket-0-0"], "name no output id with it"),
    (["history", "rout"], "no component 'rout' in this store"),
    (["inspect", "zzzz"], "no run id starts with 'ZZZZ'"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(args) for args, _ in BAD])
def test_bad_arguments_exit_2_with_a_message(capsys, store, args, message):
    code, _, err = obsql_cli(capsys, store, *args)
    assert code == 2 and message in err
    assert store.flagged() == []


def test_a_count_below_one_is_refused(capsys, store):
    with pytest.raises(SystemExit) as stopped:
        obsql_cli(capsys, store, "recent", "--limit", "0")
    assert stopped.value.code == 2 and "whole number of 1 or more" in capsys.readouterr().err


def test_every_shortcut_is_in_the_help_and_prints_its_oql(capsys, store):
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for shortcut in SHORTCUTS:
        assert f"    {shortcut.name}" in listed
    assert obsql_cli(capsys, store, "history", "route", "--limit", "5", "--show-oql")[1] == \
        "history 'route' | order by start_time desc | limit 5\n"
