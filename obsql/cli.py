"""The `obsql` command: queries (-c, -f, stdin), explain, the demo, compaction, a store check, OpenLineage import and
export, the server (`obsql serve`, docs/serve.md), and mltrace's commands (recent, inspect, history, trace, flag,
unflag, review, components, tags) as shortcuts for their OQL.

Exit codes: 0 all good, 1 an `expect` failed, 2 bad input (syntax, unknown name, unreadable store).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence, TextIO

from obsql import __version__
from obsql.errors import ObsqlError, render_text
from obsql.render.formats import FORMATS
from obsql.shortcuts import add_shortcuts, shortcut_oql
from obsql.storage.layout import default_root

EXIT_OK, EXIT_EXPECT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", type=Path, default=argparse.SUPPRESS,
                        help="store directory (default: $OBSQL_STORE, else ./obsql_store)")
    parser = argparse.ArgumentParser(prog="obsql", parents=[common], usage="obsql [OPTIONS] [QUERY | COMMAND ...]",
                                     description="Observability for ML pipelines: query the runs your pipeline logged.",
                                     epilog="A QUERY given alone runs as with -c (obsql \"recent 5\"). With no query "
                                            "and no command, obsql opens an interactive shell.")
    parser.add_argument("--version", action="version", version=f"obsql {__version__}")
    parser.add_argument("-c", dest="commands", action="append", metavar="QUERY",
                        help="run OQL (may be repeated); statements are separated by ;")
    parser.add_argument("-f", dest="files", action="append", type=Path, metavar="FILE",
                        help="run every statement of an .oql file, - for standard input (may be repeated)")
    parser.add_argument("--watch", type=float, default=None, metavar="SECONDS",
                        help="run the statements again every SECONDS seconds until Ctrl-C (psql's \\watch)")
    parser.add_argument("--bail", action=argparse.BooleanOptionalAction, default=True,
                        help="stop at the first statement that fails (the default), or go on with --no-bail and "
                             "exit 2 at the end (psql's ON_ERROR_STOP, DuckDB's -bail)")
    add_output_options(parser)
    parser.set_defaults(handler=run_queries)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    explain = commands.add_parser("explain", parents=[common], help="print the SQL a query compiles to")
    explain.add_argument("query", help="OQL text")
    add_limits(explain)
    add_engine(explain)
    add_as_of(explain)
    explain.set_defaults(handler=run_explain)

    demo = commands.add_parser("demo", parents=[common], help="log the papers' taxi pipeline into a fresh store")
    demo.add_argument("--days", type=int, default=None, help="days of simulated time from 2020-01-01 (default 182)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (the demo is deterministic per seed)")
    demo.set_defaults(handler=run_demo)

    compact = commands.add_parser("compact", parents=[common],
                                  help="merge small files of closed partitions into large sorted ones")
    add_engine(compact)
    compact.set_defaults(handler=run_compact)

    check = commands.add_parser("check", parents=[common],
                                help="list the files queries skip (unreadable, or not their table's) with why")
    check.set_defaults(handler=run_check)

    recover = commands.add_parser("recover", parents=[common],
                                  help="write the rows of writers that stopped before flushing into the store")
    recover.set_defaults(handler=run_recover)

    forget = commands.add_parser("forget", parents=[common],
                                 help="delete a pointer's data (and with --forward all derived from it), audited")
    forget.add_argument("pointer", help="the pointer whose sampled rows, summaries, feedback and flags go")
    forget.add_argument("--forward", action="store_true",
                        help="also every pointer derived from it: the outputs of every run in its forward trace")
    forget.add_argument("--runs", action="store_true",
                        help="also remove the runs that wrote or read them, with their lineage edges")
    add_removal_options(forget)
    forget.set_defaults(handler=run_forget)

    retain = commands.add_parser("retain", parents=[common],
                                 help="delete data older than a policy's ages (samples first, lineage last)")
    for kind, what in (("samples", "sampled rows"), ("feedback", "labels"), ("summaries", "column summaries"),
                       ("runs", "whole runs with their lineage")):
        retain.add_argument(f"--{kind}", metavar="AGE", help=f"remove {what} older than AGE (90d, 12w, 6m, 2y)")
    retain.add_argument("--save", action="store_true",
                        help="declare these ages as the store's policy, which `obsql compact` applies")
    add_removal_options(retain)
    retain.set_defaults(handler=run_retain)

    lineage_in = commands.add_parser("import-openlineage", parents=[common],
                                     help="log the runs of OpenLineage RunEvents (one JSON a line) into the store")
    lineage_in.add_argument("file", type=Path, help="a JSON-lines file of RunEvents, - for standard input")
    lineage_in.set_defaults(handler=run_import_openlineage)

    lineage_out = commands.add_parser("export-openlineage", parents=[common],
                                      help="write the store's runs as OpenLineage RunEvents, one JSON a line")
    lineage_out.add_argument("--since", type=as_of_time, metavar="TIME",
                             help="only runs that started at or after TIME (2020-03-01 or 2020-03-01T12:00, UTC)")
    lineage_out.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    lineage_out.set_defaults(handler=run_export_openlineage)

    serve = commands.add_parser("serve", parents=[common],
                                help="a web UI, a REST API and an OpenLineage endpoint over the store")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback)")
    serve.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765)")
    token = serve.add_mutually_exclusive_group()
    token.add_argument("--token", help="the token writes must carry (Authorization: Bearer TOKEN)")
    token.add_argument("--token-file", type=Path, metavar="FILE", help="read the token from FILE's first line")
    serve.add_argument("--allow-writes", action="store_true",
                       help="take flag, unflag, tag, untag, note and OpenLineage events (each with the token)")
    serve.add_argument("--workers", type=int, default=4, metavar="N", help="requests read at once (default: 4)")
    serve.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                       help="cancel a request's statement after this long, 0 for never (default: 30)")
    serve.add_argument("--memory-limit", default="50%", metavar="SIZE",
                       help="memory all readers together may use, like 80%% or 16GB (default: 50%% of the machine's)")
    add_engine(serve)
    serve.set_defaults(handler=run_serve)

    # a subcommand's options default to nothing, so `obsql --format csv recent` keeps the format given before it
    output = argparse.ArgumentParser(add_help=False)
    add_output_options(output, argparse.SUPPRESS)
    add_shortcuts(commands, [common, output], run_shortcut)
    return parser


def add_removal_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="list exactly what would go, and remove nothing")
    parser.add_argument("--by", metavar="NAME", help="who asked, for the audit (default: the user running it)")


def add_output_options(parser: argparse.ArgumentParser, default: object = None) -> None:
    """How results print and where (--format and its shorthands, -o, --no-header, -q), what `now` means (--as-of),
    and what one statement may take before it is cancelled (--timeout, --memory-limit)."""
    parser.add_argument("--format", type=str.lower, choices=FORMATS, default=default or "table",
                        help="how results print, in any case (default: table)")
    for shorthand in FORMATS[1:]:
        parser.add_argument(f"-{shorthand}", dest="format", action="store_const", const=shorthand,
                            default=argparse.SUPPRESS, help=f"same as --format {shorthand}")
    parser.add_argument("-x", dest="format", action="store_const", const="line", default=argparse.SUPPRESS,
                        help="expanded: every row as column = value lines (same as --format line)")
    parser.add_argument("-o", "--output", type=Path, default=default, metavar="FILE",
                        help="write the results to FILE instead of standard output")
    parser.add_argument("--no-header", dest="header", action="store_false", default=default or True,
                        help="leave out the column names and the row count (table and csv)")
    parser.add_argument("-q", "--quiet", action="store_true", default=default or False,
                        help="print results only: no notes, no shell banner")
    add_as_of(parser, default)
    add_limits(parser, default)
    add_engine(parser, default)


def add_as_of(parser: argparse.ArgumentParser, default: object = None) -> None:
    parser.add_argument("--as-of", type=as_of_time, default=default, metavar="TIME",
                        help="what now means for relative times (7 days ago), as 2020-03-01 or 2020-03-01T12:00 "
                             "(UTC unless an offset is given): replays, backfills, the demo's 2020 data")


def as_of_time(text: str) -> datetime:
    """An argparse type: an ISO 8601 date or date and time (OQL's @ form too), in UTC unless it says otherwise."""
    try:
        moment = datetime.fromisoformat(text.removeprefix("@"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date or a date and time like 2020-03-01 or "
                                         f"2020-03-01T12:00, got {text!r}") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def add_limits(parser: argparse.ArgumentParser, default: object = None) -> None:
    """--timeout and --memory-limit: what one statement may take before it is cancelled."""
    from obsql.engine.session import DEFAULT_TIMEOUT
    from obsql.storage.reader import DEFAULT_MEMORY_LIMIT

    parser.add_argument("--timeout", type=float, default=default or DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"cancel a statement after this long, 0 for never (default: {DEFAULT_TIMEOUT:g})")
    memory = DEFAULT_MEMORY_LIMIT.replace("%", "%%")  # argparse reads % in help as a format
    parser.add_argument("--memory-limit", default=default or DEFAULT_MEMORY_LIMIT, metavar="SIZE",
                        help=f"memory a statement may use, like 80%% or 16GB (default: {memory} of the machine's)")


def add_engine(parser: argparse.ArgumentParser, default: object = None) -> None:
    """--engine and --spark-master: which engine runs the queries (DuckDB unless $OBSQL_ENGINE says otherwise)."""
    parser.add_argument("--engine", type=str.lower, choices=("duckdb", "spark"), default=default,
                        help="the engine that does the work: duckdb in-process, or spark (pip install 'obsql[spark]') "
                             "(default: $OBSQL_ENGINE, else duckdb)")
    parser.add_argument("--spark-master", default=default, metavar="URL",
                        help="the Spark master the spark engine runs on (default: $OBSQL_SPARK_MASTER, else local[2])")


def store_path(args: argparse.Namespace) -> Path:
    return getattr(args, "store", None) or default_root()


def _engine(args: argparse.Namespace):
    """A query engine over an existing store, opened to read (the logging client is not loaded: queries start
    faster)."""
    from obsql.engine.session import Engine
    from obsql.spark.selection import reader_factory

    engine = Engine.open(store_path(args), args.timeout, args.memory_limit,
                         reader_factory(getattr(args, "engine", None), getattr(args, "spark_master", None)))
    engine.as_of = args.as_of
    return engine


def _sources(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(label, OQL text) for each -c, each -f, or standard input when it is not a terminal."""
    sources = [("-c", text) for text in args.commands or []]
    for path in args.files or []:
        if str(path) == "-":
            sources.append(("stdin", sys.stdin.read()))
            continue
        try:
            sources.append((str(path), path.read_text()))
        except OSError as exc:
            raise ObsqlError("input", f"cannot read {path}: {exc.strerror or exc}") from None
    if not sources and not sys.stdin.isatty():
        sources.append(("stdin", sys.stdin.read()))
    return sources


def run_queries(args: argparse.Namespace) -> int:
    """Run every statement; report every failed expect; exit 1 if any failed, 2 on bad input."""
    from obsql.grammar.parser import statements_apart

    sources = _sources(args)
    if not sources:
        from obsql.repl import main as repl

        return repl(store_path(args), args.timeout, args.memory_limit, as_of=args.as_of, quiet=args.quiet,
                    engine=args.engine, spark=args.spark_master)
    engine = _engine(args)
    if args.watch is not None:
        return _watch(engine, sources, args)
    failed = errors = 0
    with _output(args.output) as out:
        for label, text in sources:
            for part in [text] if args.bail else statements_apart(text):  # without bail, one statement at a time
                try:
                    failed += _run_text(engine, part, text, args, out)
                except ObsqlError as err:
                    print_error(render_text(err), "" if label == "-c" else f"{label}: ")
                    if args.bail:
                        return EXIT_BAD_INPUT
                    errors += 1
    if errors:
        print(f"{errors} statement(s) failed", file=sys.stderr)
        return EXIT_BAD_INPUT
    if failed:
        print(f"{failed} expectation(s) failed", file=sys.stderr)
        return EXIT_EXPECT_FAILED
    return EXIT_OK


def _run_text(engine, text: str, source: str, args: argparse.Namespace, out: TextIO) -> int:
    """Run and print each statement of `text` (positions point into `source`); returns how many expects failed."""
    from obsql.grammar import parse
    from obsql.render.colour import colour_result, wanted
    from obsql.render.formats import format_result
    from obsql.render.text import terminal_width

    failed = 0
    script = parse(text)
    for statement, statement_text in zip(script.statements, script.texts):
        result = engine.run_statement(statement, statement_text, source=source)
        shown = format_result(result, args.format, args.header, terminal_width(out))
        print(colour_result(shown, result.drawn_as, args.format) if wanted(out) else shown, file=out)
        for note in [] if args.quiet else result.notes:  # on stderr: csv and json stay machine-readable
            print(f"note: {note}", file=sys.stderr)
        failed += result.passed is False
    return failed


def _watch(engine, sources: list[tuple[str, str]], args: argparse.Namespace) -> int:
    """Run every source again every `--watch` seconds, each round under a line with its time, until Ctrl-C."""
    from obsql.render.text import watch_header

    if not 0 < args.watch < float("inf"):
        raise ObsqlError("input", f"--watch takes a number of seconds above 0, not {args.watch:g}")
    with _output(args.output) as out:
        try:
            while True:
                print(watch_header(args.watch), file=out, flush=True)
                for _, text in sources:
                    _run_text(engine, text, text, args, out)
                out.flush()
                time.sleep(args.watch)
        except KeyboardInterrupt:
            return EXIT_OK


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """Where results go: standard output, or the file -o names (written anew)."""
    if path is None:
        yield sys.stdout
        return
    try:
        out = open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise ObsqlError("input", f"cannot write {path}: {exc.strerror or exc}") from None
    with out:
        yield out


def run_shortcut(args: argparse.Namespace) -> int:
    """An mltrace-style command: its OQL, printed with --show-oql, else run as `obsql -c` runs it."""
    oql = shortcut_oql(args)
    if args.show_oql:
        print(oql)
        return EXIT_OK
    args.commands, args.files = [oql], None
    return run_queries(args)


def run_explain(args: argparse.Namespace) -> int:
    from obsql.render.sql_layout import layout_explained

    print(layout_explained(_engine(args).explain(args.query)))
    return EXIT_OK


def run_demo(args: argparse.Namespace) -> int:
    from obsql.demo.pipeline import DEFAULT_DAYS, FAULTS
    from obsql.demo.pipeline import run_demo as simulate

    days = args.days or DEFAULT_DAYS
    print(f"logging {days} simulated days of the taxi pipeline into {store_path(args)} (a minute or two for the "
          f"default {DEFAULT_DAYS}), then asking the papers' four questions", file=sys.stderr, flush=True)
    summary = simulate(store_path(args), days=days, seed=args.seed)
    print(f"logged {summary.days} days of the taxi pipeline into {summary.store} in {summary.seconds:.1f} s")
    for component, count in summary.runs.items():
        print(f"  {component:<11} {count:>6} runs")
    print(f"  {summary.predictions} predictions, {summary.feedback} feedback labels (some late, some never)")
    print("faults baked in:")
    for fault, when in FAULTS.items():
        print(f"  {when:<26} {fault}")
    _print_answers(summary.store)
    return EXIT_OK


def _print_answers(store: Path) -> None:
    """The papers' four questions, asked in OQL, each answer under its question."""
    from obsql.demo.questions import ask
    from obsql.engine.session import Engine
    from obsql.render.text import render

    print("\nthe papers' four questions, answered in OQL (obsql -f obsql/demo/questions.oql):")
    for answer in ask(Engine.open(store)):
        print(f"\n{answer.number} {answer.question}\n    {answer.explanation}")
        if answer.unasked:
            print(f"\n  {answer.unasked}")
        for result in answer.results:
            print("\n  oql> " + " ".join(result.statement.split()))
            print("\n".join("  " + line for line in render(result).splitlines()))


def run_compact(args: argparse.Namespace) -> int:
    from obsql import removal
    from obsql.progress import Progress
    from obsql.spark.selection import compaction_engine
    from obsql.storage.compact import compact
    from obsql.storage.store import ParquetStore

    store = ParquetStore(store_path(args), create=False)
    engine = compaction_engine(args.engine, args.spark_master)  # Spark's session starts before any work
    policy = removal.saved_policy(store.root)
    if policy:  # the store's retention policy first: nothing is merged only to be removed
        with Progress(0, "retaining") as bar:
            done = removal.retain(store_to_write(args), policy, on_progress=bar.show)
        print("\n".join(done.describe()))
    with Progress(0, "compacting") as bar:
        report = compact(store.root, on_progress=bar.show, engine=engine)
    if report.recovered:
        print(f"recovered the rows of {report.recovered} stopped writer(s) first")
    print(f"compacted {report.partitions} partitions: {report.files_before} files -> {report.files_after} "
          f"({report.rows} rows)")
    print(f"lineage index rebuilt: {report.index_rows.get('runs', 0)} runs, {report.index_rows.get('edges', 0)} "
          f"dependencies, {report.index_rows.get('inner_runs', 0)} in the in-memory core")
    for skipped in report.skipped:
        print(f"  skipped {skipped}: unreadable, or not its table's (obsql check says why)", file=sys.stderr)
    return EXIT_OK


def store_to_write(args: argparse.Namespace):
    """The store --store names, opened to write; a path that holds no store is an error, not a new empty store."""
    import obsql
    from obsql.storage.layout import read_marker

    read_marker(store_path(args).expanduser().resolve())
    return obsql.connect(store_path(args))


def run_forget(args: argparse.Namespace) -> int:
    from obsql import removal
    from obsql.progress import Progress

    store = store_to_write(args)
    with Progress(0, "forgetting") as bar:
        done = removal.forget(store, args.pointer, forward=args.forward, runs=args.runs, dry_run=args.dry_run,
                              requested_by=args.by, on_progress=bar.show)
    print("\n".join(done.describe()))
    if args.dry_run:
        print("\n".join(f"  would rewrite {change.path} ({change.table}: {change.removed + change.blanked} of "
                        f"{change.rows} rows)" for change in done.plan.changes))
    return EXIT_OK


def run_retain(args: argparse.Namespace) -> int:
    from obsql import removal
    from obsql.progress import Progress

    store = store_to_write(args)
    ages = {kind: getattr(args, kind) for kind in removal.RETAINED if getattr(args, kind)}
    if args.save:
        removal.save_policy(store.path, ages)
        print(f"saved the retention policy {' '.join(f'{k}={v}' for k, v in ages.items())}: `obsql compact` "
              f"applies it")
    ages = ages or removal.saved_policy(store.path)
    if not ages:
        raise ObsqlError("input", "retain needs an age: none was given and the store has no saved policy",
                         suggestion="e.g. obsql retain --samples 90d --feedback 1y --dry-run")
    with Progress(0, "retaining") as bar:
        done = removal.retain(store, ages, dry_run=args.dry_run, requested_by=args.by, on_progress=bar.show)
    print("\n".join(done.describe()))
    return EXIT_OK


def run_import_openlineage(args: argparse.Namespace) -> int:
    """Check every event of the file, then log its finished runs; an unfinished run is named on stderr."""
    import obsql
    from obsql.openlineage.importer import import_events, read_events

    try:
        events = read_events(args.file)
    except ObsqlError as err:
        print_error(render_text(err), f"{args.file}: ")
        return EXIT_BAD_INPUT
    store = obsql.connect(store_path(args))
    report = import_events(events, store.logger, store.engine)
    store.flush()
    for sentence in report.unfinished:
        print(f"warning: {sentence}", file=sys.stderr)
    print("\n".join(report.describe()))
    return EXIT_OK


def run_export_openlineage(args: argparse.Namespace) -> int:
    from obsql.engine.session import Engine
    from obsql.openlineage.exporter import export_events, write_events

    engine = Engine.open(store_path(args))
    with _output(args.out) as out:
        count = write_events(export_events(engine, args.since), out)
    if args.out is not None:
        print(f"wrote {count} events to {args.out}", file=sys.stderr)
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    from obsql.serve.server import serve

    return serve(store_path(args), args.host, args.port, args.token, args.token_file, args.allow_writes,
                 args.timeout, args.memory_limit, args.workers, args.engine, args.spark_master)


def run_check(args: argparse.Namespace) -> int:
    from obsql.storage.check import problem_files
    from obsql.storage.store import ParquetStore

    store = ParquetStore(store_path(args), create=False)
    bad = problem_files(store.root)
    for path, reason in bad:
        print(f"{path}: {reason}")
    print(f"{len(bad)} unreadable file(s) in {store.root}", file=sys.stderr)
    return EXIT_BAD_INPUT if bad else EXIT_OK


def run_recover(args: argparse.Namespace) -> int:
    from obsql.storage.store import ParquetStore
    from obsql.storage.writer import recover_dead_spools

    store = ParquetStore(store_path(args), create=False)
    print(f"recovered the rows of {recover_dead_spools(store.root)} stopped writer(s) into {store.root}")
    return EXIT_OK


def print_error(text: str, prefix: str = "") -> None:
    """An error on standard error, coloured on a terminal."""
    from obsql.render.colour import colour_error, wanted

    print(prefix + (colour_error(text) if wanted(sys.stderr) else text), file=sys.stderr)


def queries_as_options(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """A query given where a command could be (`obsql "recent 5"`, as DuckDB's CLI takes it) becomes `-c QUERY`;
    a command name (`obsql recent 5`) stays a command."""
    (commands,) = [a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    takes_value = {option for action in parser._actions if action.nargs != 0 for option in action.option_strings}
    rewritten, waiting_value = [], False
    for at, word in enumerate(argv):
        if waiting_value or word.startswith("-") and word != "-":
            rewritten.append(word)
            waiting_value = not waiting_value and word in takes_value
        elif word in commands or word == "--":
            return rewritten + argv[at:]
        else:
            rewritten += ["-c", word]
    return rewritten


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(queries_as_options(list(sys.argv[1:] if argv is None else argv), parser))
    try:
        return args.handler(args)
    except ObsqlError as err:
        print_error(render_text(err))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader (head, less) went away: stop quietly, as shell tools do
        sys.stdout = open(os.devnull, "w")
        return EXIT_OK
    except Exception as exc:  # a bug of ours: one line for people, the traceback with OBSQL_DEBUG=1
        if os.environ.get("OBSQL_DEBUG"):
            raise
        print(f"error (internal): {type(exc).__name__}: {exc}\nhint: this is a bug in obsql; rerun with "
              "OBSQL_DEBUG=1 for the traceback and report it", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
