"""The progress of a `workerjob verify` campaign, on stderr.

On a terminal, a bar whose total is the examples asked for (per level, times the
levels). Hypothesis runs more examples than it counts towards `max_examples` (examples
it discards, the replay of saved failures, shrinking), so each round of the campaign
moves the bar by at most the round's budget: the bar never passes its total. Its timer
is the time since the start, never frozen when the bar is full (rich's own column
stops when the count reaches the total, while the last round still runs). Elsewhere
(a pipe, a CI log), a line every `every` examples instead, and nothing with `every` 0.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn
from rich.text import Text


class _Elapsed(ProgressColumn):
    """Elapsed time since the start, running until the bar is closed."""

    def render(self, task: Task) -> Text:
        seconds = int(task.elapsed or 0)
        return Text(f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
                    style="progress.elapsed")


class CampaignProgress:
    def __init__(self, label: str, total: int, console: Console, *, every: int = 100,
                 quiet: bool = False) -> None:
        self.label, self.total, self.console, self.every = label, total, console, every
        self.live = not quiet and console.is_terminal
        self.lines = not quiet and not self.live and every > 0
        self.base = self.budget = self.in_round = 0
        self.shown = 0
        self.start = time.monotonic()
        self.bar: Progress | None = None
        if self.live:
            self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                MofNCompleteColumn(), _Elapsed(), console=console,
                                transient=True)
            self.task = self.bar.add_task(label, total=total)

    def __enter__(self) -> CampaignProgress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.stop()

    @property
    def completed(self) -> int:
        return self.base + min(self.in_round, self.budget)

    def round(self, level: str, budget: int) -> None:
        """A round of `budget` examples of `level` begins."""
        self.base += self.budget
        self.budget, self.in_round = budget, 0

    def tick(self) -> None:
        """One example ended."""
        self.in_round += 1
        self.show(self.completed)

    def show(self, done: int) -> None:
        """`done` examples have ended (worker processes report their sum)."""
        done = min(done, self.total)
        if self.bar is not None:
            self.bar.update(self.task, completed=done)
        elif self.lines and done // self.every > self.shown // self.every:
            self.console.print(f"{self.label}: {done}/{self.total} examples, "
                               f"{time.monotonic() - self.start:.0f} s",
                               markup=False, highlight=False, soft_wrap=True)
        self.shown = done
