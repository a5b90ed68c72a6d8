"""The prompt itself: multi-line input with OQL highlighting, completion in a thread, history, and Enter bound to
the Enter rule (Alt-Enter runs the text whatever it looks like)."""
from __future__ import annotations

from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.filters import completion_is_selected
from prompt_toolkit.history import History
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style

from obsql.highlight import OqlLexer
from obsql.repl.completion import OqlCompleter
from obsql.repl.enter import open_quote, runs_on_enter
from obsql.repl.shell import Shell

# ANSI colour names, so the terminal's own theme (light or dark) decides the exact shades.
STYLE = Style.from_dict({
    "prompt": "ansigreen bold",
    "continuation": "ansibrightblack",
    "pygments.keyword": "ansiblue bold",
    "pygments.keyword.type": "ansicyan",
    "pygments.keyword.pseudo": "ansimagenta bold",
    "pygments.literal.string": "ansigreen",
    "pygments.literal.number": "ansiyellow",
    "pygments.name.function": "ansicyan",
    "pygments.name.variable": "ansimagenta",
    "pygments.comment": "ansibrightblack italic",
})


def enter_bindings() -> KeyBindings:
    """Enter takes a selected completion; otherwise it runs a finished statement or starts a new line."""
    bindings = KeyBindings()

    @bindings.add("enter", filter=completion_is_selected)
    def take_completion(event: KeyPressEvent) -> None:
        event.current_buffer.complete_state = None

    @bindings.add("enter", filter=~completion_is_selected)
    def run_or_newline(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if runs_on_enter(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    return bindings


def continuation_text(before: str, width: int) -> str:
    """The prompt of a line after the first, given the text of the lines `before` it: `...> `, or `..'> ` (`..">`)
    while a quote is open there."""
    quote = open_quote(before)
    return (f"..{quote}> " if quote else "...> ").rjust(width)


def build_session(shell: Shell, history: History, input: Input | None = None,
                  output: Output | None = None) -> PromptSession:
    """A prompt showing the open store's name, completing from the shell's names of that store."""
    def message() -> list[tuple[str, str]]:
        return [("class:prompt", shell.prompt)]

    def continuation(width: int, line_number: int, is_soft_wrap: bool) -> list[tuple[str, str]]:
        before = "\n".join(get_app().current_buffer.document.lines[:line_number])
        return [("class:continuation", continuation_text(before, width))]

    return PromptSession(message, multiline=True, prompt_continuation=continuation, lexer=PygmentsLexer(OqlLexer),
                         completer=OqlCompleter(shell.names), complete_in_thread=True, complete_while_typing=True,
                         history=history, auto_suggest=AutoSuggestFromHistory(), key_bindings=enter_bindings(),
                         style=STYLE, include_default_pygments_style=False, input=input, output=output)
