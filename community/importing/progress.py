"""A plain-text progress bar for long imports, on stderr.

On a terminal it redraws one line in place; in a log (CI, a pipe) it writes a
line every tenth of the way, so the log stays short and still shows progress.
"""

import sys
import time
from typing import TextIO

WIDTH = 30


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}:{seconds:02d}" if minutes else f"{seconds}s"


class Progress:
    def __init__(
        self,
        total: int,
        *,
        label: str = "rows",
        stream: TextIO | None = None,
        tty: bool | None = None,
    ):
        self.total = max(total, 0)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.done = 0
        self.started = time.perf_counter()
        self._next_decile = 1
        self._last_draw = 0.0

    def line(self) -> str:
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        fraction = self.done / self.total if self.total else 1.0
        filled = int(WIDTH * fraction)
        bar = "#" * filled + "-" * (WIDTH - filled)
        remaining = (self.total - self.done) / rate if rate > 0 else 0.0
        eta = "done" if self.done >= self.total else f"ETA {_duration(remaining)}"
        return (
            f"[{bar}] {self.done:,}/{self.total:,} {self.label} {fraction:4.0%} "
            f"{rate:,.0f}/s {eta} ({_duration(elapsed)})"
        )

    def advance(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        if self.tty:
            now = time.perf_counter()
            # Redrawing more than ~10 times a second only costs time.
            if now - self._last_draw >= 0.1 or self.done >= self.total:
                self._last_draw = now
                self.stream.write("\r" + self.line())
                self.stream.flush()
        elif self.total:
            decile = self.done * 10 // self.total
            if decile >= self._next_decile:
                self._next_decile = decile + 1
                self.stream.write(self.line() + "\n")
                self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r" + self.line() + "\n")
            self.stream.flush()
        elif self.done < self.total or self.total == 0:
            self.stream.write(self.line() + "\n")
            self.stream.flush()


class NoProgress:
    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass
