"""A polling loop in one thread worker per screen: never blocks the event loop.

The loop calls ``read(force)`` every ``interval`` seconds; ``read`` returns ``None`` when
nothing changed (the watchers check ``PRAGMA data_version`` first), so an idle store costs one
pragma per tick. A result reaches the screen as the loop's own message type (``Polled.Sweep``,
``Polled.Specs`` ...), so redraws happen at most once per interval. The loop pauses while its
screen is covered by another screen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import get_current_worker

from motools_tui.messages import Polled


class PollLoop:
    def __init__(
        self,
        owner: MessagePump,
        read: Callable[[bool], Any],
        message: Callable[[Any], Message],
        interval: float,
        name: str,
    ) -> None:
        self.owner = owner
        self.read = read
        self.message = message
        self.interval = interval
        self.name = name
        self._wake = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._force = True
        self._last_error: str | None = None
        self.worker: Any = None

    def start(self) -> None:
        self.worker = self.owner.run_worker(
            self._loop, thread=True, group=f"poll-{self.name}", name=f"poll {self.name}", exit_on_error=False
        )

    def kick(self, force: bool = True) -> None:
        """Poll now (after the user changed something), not at the next tick."""
        self._force = self._force or force
        self._wake.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()
        self.kick(force=False)  # poll now; report only if the store changed meanwhile

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
        self._running.set()
        self._wake.set()

    def _loop(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            force, self._force = self._force, False
            try:
                result = self.read(force)
            except Exception as exc:
                text = f"{type(exc).__name__}: {exc}"
                if text != self._last_error:
                    self._last_error = text
                    self.owner.post_message(Polled.Failed(exc))
            else:
                self._last_error = None
                if result is not None and not worker.is_cancelled:
                    self.owner.post_message(self.message(result))
            self._wake.wait(self.interval)
            self._wake.clear()
            while not self._running.is_set() and not worker.is_cancelled:
                self._running.wait(0.5)
