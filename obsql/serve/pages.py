"""The web UI: server-rendered pages with their own URLs, linked to one another, and the forms that write.

Each page runs its OQL on the reading pool and is drawn there (`html`), so the event loop only passes bytes. Every
section shows the OQL it ran, linked to the console. With --allow-writes, pages carry forms (flag, unflag, tag, untag,
note) that post to /actions/<what> with the token in a field; a write that succeeds keeps the token in a cookie
(HttpOnly, SameSite=Strict), so the next form needs it no more, and goes back to the page it came from.
"""
from __future__ import annotations

from typing import Callable
from urllib.parse import parse_qsl

from pygments import highlight
from pygments.formatters import HtmlFormatter
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from obsql.engine.session import Engine
from obsql.errors import ObsqlError, render_text
from obsql.highlight import OqlLexer
from obsql.result import Result
from obsql.serve import html, oql
from obsql.serve.api import body_bytes, server_of, switch, whole_number
from obsql.serve.auth import COOKIE, check_write, check_writes_on, form_token
from obsql.serve.failures import Refused, status_of

Draw = Callable[[Result], str]


def section(engine: Engine, title: str, text: str, draw: Draw = html.result_html) -> str:
    """A heading over a result drawn, with the OQL that made it."""
    return f"<h2>{title}</h2>{draw(oql.run(engine, text))}{html.oql_line(text)}"


async def drawn(request: Request, title: str, build: Callable[[Engine], str]) -> HTMLResponse:
    """A page whose body `build` makes with a reading engine."""
    server = server_of(request)
    body = await server.engines.read(build)
    return HTMLResponse(html.page(title, body, server.config.allow_writes))


def writes_allowed(request: Request) -> bool:
    return server_of(request).config.allow_writes


def here(request: Request) -> str:
    """This page's path and query, for a form to come back to."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


# -- pages ---------------------------------------------------------------------------------------------------------
async def recent_runs(request: Request) -> HTMLResponse:
    text = oql.recent(whole_number(request, "limit", 50, 1, 1000))
    return await drawn(request, "Recent runs", lambda engine: section(engine, "The latest runs", text))


async def components(request: Request) -> HTMLResponse:
    return await drawn(request, "Components", lambda engine: section(engine, "Every component", oql.components()))


async def component(request: Request) -> HTMLResponse:
    name = request.path_params["name"]
    forms = ""
    if writes_allowed(request):
        back = here(request)
        forms = ("<h2>Tags</h2>" + html.form("/actions/tag", back, "tag", [("tags", "tag")], {"component": name})
                 + html.form("/actions/untag", back, "untag", [("tags", "tag")], {"component": name}))

    def build(engine: Engine) -> str:
        return (section(engine, "About", oql.component(name)) + section(engine, "History", oql.history(name))
                + section(engine, "Latest runs", oql.runs_of(name, 50)) + forms)

    return await drawn(request, f"Component {name}", build)


async def run_card(request: Request) -> HTMLResponse:
    run_id = request.path_params["run_id"]
    forms = ""
    if writes_allowed(request):
        forms = "<h2>Add a note</h2>" + html.form("/actions/note", here(request), "add the note",
                                                    [("text", "note")], {"run_id": run_id})
    return await drawn(request, f"Run {run_id}",
                       lambda engine: section(engine, "The run", oql.run_card(run_id), html.card_html) + forms)


async def pointer_card(request: Request) -> HTMLResponse:
    pointer = request.query_params.get("p") or ""
    if not pointer:
        raise Refused(400, "this page needs ?p=<pointer>")
    traces = (f"<p>{html.link(html.trace_url(pointer), 'trace upstream')} · "
              f"{html.link(html.trace_url(pointer, forward=True), 'trace forward')}</p>")
    forms = ""
    if writes_allowed(request):
        back = here(request)
        forms = ("<h2>Flag</h2>" + html.form("/actions/flag", back, "flag", hidden={"pointers": pointer})
                 + html.form("/actions/unflag", back, "unflag", hidden={"pointers": pointer}))
    return await drawn(request, f"Pointer {pointer}", lambda engine: traces + section(
        engine, "The pointer", oql.pointer_card(pointer), html.card_html) + forms)


async def trace(request: Request) -> HTMLResponse:
    pointer = request.query_params.get("pointer") or ""
    if not pointer:
        raise Refused(400, "this page needs ?pointer=<pointer>")
    forward = switch(request, "forward")
    other = html.link(html.trace_url(pointer, not forward), "upstream instead" if forward else "forward instead")
    title = f"{'Forward trace' if forward else 'Trace'} of {pointer}"
    intro = (f"<p>{'Everything derived from' if forward else 'The runs behind'} "
             f"{html.link(html.pointer_url(pointer), pointer)} ({other}); click a run to fold it.</p>")
    return await drawn(request, title, lambda engine: intro + section(
        engine, "Runs", oql.trace(pointer, forward), html.tree_html))


async def review(request: Request) -> HTMLResponse:
    forms = ""
    if writes_allowed(request):
        back = here(request)
        forms = (html.form("/actions/flag", back, "flag", [("pointers", "pointer")])
                 + html.form("/actions/unflag", back, "unflag", [("pointers", "pointer")]))
    return await drawn(request, "Review", lambda engine: (
        section(engine, "Flagged outputs", oql.flagged()) + forms
        + section(engine, "The runs most common to their traces", oql.review())))


async def alerts(request: Request) -> HTMLResponse:
    return await drawn(request, "Alerts", lambda engine: (
        section(engine, "Open", oql.alerts(False)) + section(engine, "Every episode, past ones too",
                                                               oql.alerts(True))))


# -- the console ---------------------------------------------------------------------------------------------------
async def console(request: Request) -> HTMLResponse:
    """The OQL console: a text box, the query highlighted, its result or its error as the command line shows it.
    GET runs reads; the form's second button POSTs, with the token, to run statements that write."""
    server = server_of(request)
    fields = dict(parse_qsl((await body_bytes(request)).decode("utf-8", "replace"))) \
        if request.method == "POST" else dict(request.query_params)
    text = fields.get("q", "")
    status, shown, token = 200, "", None
    if text.strip():
        try:
            status, shown, token = 200, await _console_answer(request, text, fields), form_token(request, fields)
        except ObsqlError as err:
            status, shown = status_of(err), html.error_html(render_text(err.with_source(text)))
    body = _console_form(text, server.config.allow_writes) + (_highlighted(text) if text.strip() else "") + shown
    response = HTMLResponse(html.page("Query", body, server.config.allow_writes), status_code=status)
    if request.method == "POST" and token and status == 200:
        remember(response, token)
    return response


async def _console_answer(request: Request, text: str, fields: dict[str, str]) -> str:
    server = server_of(request)
    if not oql.writes(text):
        return await server.engines.read(lambda engine: html.result_html(oql.run(engine, text)))
    if request.method == "GET":
        check_writes_on(server.config)  # a read-only server says so first
        raise Refused(405, "a statement that writes runs with the token: use the form's \"run, writing\" button")
    check_write(server.config, form_token(request, fields))
    return await server.engines.write(lambda store: html.result_html(oql.run(store.engine, text)))


def _console_form(text: str, writes: bool) -> str:
    writing = ('<input type="password" name="token" placeholder="token (to write)" autocomplete="current-password">'
               '<button type="submit" formmethod="post">run, writing</button>') if writes else ""
    return (f'<form method="get" action="/query"><textarea name="q" autofocus '
            f'placeholder="recent 10">{html.escape(text)}</textarea><br>'
            f'<button type="submit">run</button> {writing}</form>')


def _highlighted(text: str) -> str:
    """The query coloured by OQL's own lexer (the shell's highlighting), escaped by Pygments."""
    return f'<pre class="hl">{highlight(text, OqlLexer(), HtmlFormatter(nowrap=True))}</pre>'


# -- forms that write ----------------------------------------------------------------------------------------------
ACTIONS: dict[str, Callable[[dict[str, str]], str]] = {
    "flag": lambda f: oql.flag([f.get("pointers", "")], True),
    "unflag": lambda f: oql.flag([f.get("pointers", "")], False),
    "tag": lambda f: oql.tag(f.get("component", ""), [f.get("tags", "")], True),
    "untag": lambda f: oql.tag(f.get("component", ""), [f.get("tags", "")], False),
    "note": lambda f: oql.note(f.get("run_id", ""), f.get("text", "")),
}


async def action(request: Request) -> Response:
    """A form's write: checked (writes allowed, the token), run on the writer, then back to the page."""
    server = server_of(request)
    what = request.path_params["what"]
    if what not in ACTIONS:
        raise Refused(404, f"no action {what!r}; there are {', '.join(ACTIONS)}")
    fields = dict(parse_qsl((await body_bytes(request)).decode("utf-8", "replace"), keep_blank_values=True))
    token = form_token(request, fields)
    check_write(server.config, token)
    text = ACTIONS[what](fields)
    await server.engines.write(lambda store: oql.run(store.engine, text))
    response = RedirectResponse(_local(fields.get("back", "/")), status_code=303)
    remember(response, token)
    return response


def remember(response: Response, token: str | None) -> None:
    """Keep the token for the next form (HttpOnly: no script reads it; SameSite=Strict: no other site sends it)."""
    if token:
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")


def _local(path: str) -> str:
    """A page of this server to go back to (never another site's)."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def error_page(err: ObsqlError, writes: bool) -> str:
    return html.page("Error", html.error_html(render_text(err)) + '<p><a href="/">back to the runs</a></p>', writes)


ROUTES = [
    Route("/", recent_runs),
    Route("/components", components),
    Route("/components/{name:path}", component),
    Route("/runs/{run_id}", run_card),
    Route("/pointers", pointer_card),
    Route("/trace", trace),
    Route("/review", review),
    Route("/alerts", alerts),
    Route("/query", console, methods=["GET", "POST"]),
    Route("/actions/{what}", action, methods=["POST"]),
]
