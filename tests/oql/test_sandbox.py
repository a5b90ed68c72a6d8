"""The `sql` statement is read-only: every way to write, read outside the store or loosen the sandbox is refused
with an ObsqlError (never a DuckDB error escaping), and the store's files stay as they were."""
from __future__ import annotations

from pathlib import Path

import pytest

from obsql.engine.session import Engine
from obsql.errors import ObsqlError
from obsql.storage.schemas import TABLES
from tests.oql.conftest import answer

# (what is tried, the SQL; {store} and {outside} are filled in with real directories)
REFUSED = [
    ("copy into the store", "copy (select 1) to '{store}/x.csv'"),
    ("copy outside the store", "copy (select 1) to '{outside}/x.csv'"),
    ("copy a table out", "copy runs to '{outside}/runs.parquet'"),
    ("read_csv outside", "select * from read_csv('/etc/passwd')"),
    ("read_parquet outside", "select * from read_parquet('/tmp/x.parquet')"),
    ("a path climbing out of the store", "select * from read_csv('{store}/../../etc/passwd')"),
    ("a file name as a table", "select * from '/etc/passwd'"),
    ("listing files outside", "select * from glob('/etc/*')"),
    ("attach", "attach '{outside}/other.db' as other"),
    ("install", "install httpfs"),
    ("load", "load httpfs"),
    ("set threads", "set threads = 1"),
    ("set external access", "set enable_external_access = true"),
    ("set allowed directories", "set allowed_directories = ['/']"),
    ("reset", "reset threads"),
    ("create table", "create table t as select 1"),
    ("create view", "create view v as select 1"),
    ("drop view", "drop view runs"),
    ("delete", "delete from runs"),
    ("update", "update runs set status = 'ok'"),
    ("insert", "insert into flags values ('x', true, now(), current_date)"),
    ("two statements", "select 1; drop view runs"),
    ("pragma", "pragma version"),
    ("call", "call pragma_version()"),
    ("export", "export database '{outside}/export'"),
]

# The two ways to hand SQL to the engine: the OQL statement and the Python API.
ROUTES = {
    "oql": lambda store, sql: answer(store, f"sql {sql}"),
    "python": lambda store, sql: store.sql(sql),
}


def files_of(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` with its size and modification time."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("sql", [sql for _, sql in REFUSED], ids=[what for what, _ in REFUSED])
def test_refused_and_store_unchanged(small, tmp_path, route, sql):
    before = files_of(small.path)
    with pytest.raises(ObsqlError):
        ROUTES[route](small, sql.format(store=small.path, outside=tmp_path))
    assert files_of(small.path) == before
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("table", TABLES)
def test_select_over_each_table_works(small, table):
    assert answer(small, f"sql select count(*) as n from {table}").columns == ["n"]


def test_reading_the_stores_own_files_works(small):
    direct = answer(small, f"sql select count(*) from read_parquet('{small.path}/runs/**/*.parquet')")
    assert direct.rows == answer(small, "sql select count(*) from runs").rows == [(11,)]


def test_tables_still_answer_after_refusals(small):
    for sql in ("drop view runs", "create or replace view runs as select 1 as x"):
        with pytest.raises(ObsqlError):
            small.sql(sql)
    assert answer(small, "runs | group by component | order by component | limit 1").rows == [("clean", 1)]


def test_files_in_duckdbs_temp_directory_are_refused(small, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outside = tmp_path / ".tmp" / "secret.csv"
    outside.parent.mkdir()
    outside.write_text("secret\n42\n")
    engine = Engine.open(small.path)
    with pytest.raises(ObsqlError):
        engine.run(f"sql select * from read_csv('{outside}')")
