"""Progress of LLM batches on the terminal: a line when a batch starts (with an estimate) and when it ends
(tokens per prompt, elapsed); on a terminal, a bar of elapsed time against the estimate in between."""
from __future__ import annotations

import sys
import threading
from contextlib import contextmanager

import click

BAR_WIDTH = 24


def bar(report: dict) -> str:
    """'[copywriter] ██████░░░░ 12 s of about 40 s (3 prompts)'; without an estimate, elapsed time only."""
    elapsed, estimate = report["elapsed_s"], report.get("estimate_s")
    head = f"[{report['node']}] {report['prompts']} prompt(s) "
    if not estimate:  # none yet, or too small to draw
        return head + f"generating: {elapsed:.0f} s"
    filled = min(BAR_WIDTH, int(BAR_WIDTH * elapsed / estimate))
    return head + "█" * filled + "░" * (BAR_WIDTH - filled) + f" {elapsed:.0f} s of about {estimate:.0f} s"


@contextmanager
def llm_progress(runner, quiet: bool):
    """Attach an LLMProgress to `runner` for the duration of a command."""
    from brandloop.graph.progress import LLMProgress, progress_text

    tty = sys.stderr.isatty()
    lock = threading.Lock()
    shown = {"bar": False}

    def clear_bar() -> None:
        if shown["bar"]:
            click.echo("\r\033[K", nl=False, err=True)
            shown["bar"] = False

    def emit(report: dict) -> None:
        if quiet:
            return
        with lock:
            clear_bar()
            click.echo(progress_text(report), err=True)

    progress = LLMProgress(emit)
    runner.llm_progress = progress
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(1.0):
            report = progress.in_flight()
            if report is None:
                continue
            with lock:
                click.echo("\r\033[K" + bar(report), nl=False, err=True)
                shown["bar"] = True

    ticker = threading.Thread(target=tick, daemon=True) if tty and not quiet else None
    if ticker:
        ticker.start()
    try:
        yield progress
    finally:
        stop.set()
        with lock:
            clear_bar()
        runner.llm_progress = None
