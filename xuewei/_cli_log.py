"""The command line's progress and log on stderr: a spinner per step and the library's log."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.status import Status

__all__ = ["ConsoleHandler", "command_logging", "step"]


class ConsoleHandler(logging.Handler):
    """The ``xuewei`` loggers on stderr while a command runs.

    Warnings are printed once each as ``warning: …``. An INFO record (a library step
    announcing itself, such as each output file being written) becomes the status line's
    text, and with ``--verbose`` also a line of its own.
    """

    def __init__(self, console: Console, *, verbose: bool) -> None:
        super().__init__(logging.INFO)
        self.console = console
        self.verbose = verbose
        self.status: Status | None = None
        self.seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.levelno >= logging.WARNING:
            if text not in self.seen:
                self.seen.add(text)
                self.console.print(f"warning: {text}", highlight=False, markup=False)
            return
        if self.verbose:
            self.console.print(
                f"{record.name}: {text}",
                style="dim",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        if self.status is not None:
            self.status.update(escape(text) + "…")


#: Width of the console when stdout is not a terminal (a pipe, a file, a test runner) and
#: ``COLUMNS`` is not set: wide enough that rich never wraps a table or a path.
MIN_WIDTH = 150


def console(*, stderr: bool = False) -> Console:
    """Return the console a command prints to (stdout, or stderr for chatter and errors).

    In a terminal rich fits the terminal (or ``COLUMNS``); written to a pipe or a file, the
    console is at least :data:`MIN_WIDTH` wide, so nothing is wrapped for the reader.
    """
    out = Console(stderr=stderr)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(stderr=stderr, width=max(out.width, MIN_WIDTH))
    return out


def fail(message: str, *, code: int) -> NoReturn:
    """Print ``error: message`` as one line on stderr and exit with ``code``."""
    console(stderr=True).print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True
    )
    raise typer.Exit(code)


@contextlib.contextmanager
def command_logging(console: Console, *, verbose: bool) -> Iterator[ConsoleHandler]:
    """Route the ``xuewei`` loggers to ``console`` (stderr) for one command, then restore."""
    logger = logging.getLogger("xuewei")
    handler = ConsoleHandler(console, verbose=verbose)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


@contextlib.contextmanager
def step(
    console: Console, log: ConsoleHandler, text: str, *, quiet: bool = False
) -> Iterator[None]:
    """Show a spinner with ``text`` while the step runs, then ``✓ text (seconds)``."""
    if quiet:
        yield
        return
    start = time.perf_counter()
    with console.status(escape(text) + "…") as status:
        log.status = status
        try:
            yield
        finally:
            log.status = None
    seconds = time.perf_counter() - start
    console.print(f"[green]✓[/] {escape(text)} ({seconds:.1f} s)", highlight=False)
