"""WorkerJob: one task that runs a WorkerTask and completes its continuations."""

from __future__ import annotations

import asyncio

from ._checks import check_task, check_token, check_worker
from .continuations import Continuations
from .token import CancellationToken
from .types import Running, Worker, WorkerTask

__all__ = ["WorkerJob"]


class WorkerJob:
    """A Worker, a WorkerTask and a token, launched as one asyncio task.

    Field names are the seed's: `worker`, `worker_task`, `cancellation_token`,
    `task_handle` (None until launched), `worker_job_continuations`.
    """

    __slots__ = (
        "__weakref__",
        "_finished",
        "_wait_claimed",
        "cancellation_token",
        "task_handle",
        "worker",
        "worker_job_continuations",
        "worker_task",
    )

    def __init__(
        self,
        worker: Worker,
        worker_task: WorkerTask,
        cancellation_token: CancellationToken,
    ) -> None:
        check_worker(worker)
        check_task(worker_task)
        check_token(cancellation_token)
        self.worker = worker
        self.worker_task = worker_task
        self.cancellation_token = cancellation_token
        self.task_handle: asyncio.Task[None] | None = None
        self.worker_job_continuations = Continuations(owner=self)
        self._wait_claimed = False
        self._finished = False  # the job's task has done its completion step

    def launch(self) -> None:
        """Start the job's task on the running loop. A second launch is a RuntimeError."""
        if self.task_handle is not None:
            raise RuntimeError("WorkerJob already launched")
        loop = asyncio.get_running_loop()  # RuntimeError when there is none
        task = loop.create_task(self._drive())
        # Safety net for the one outcome `_drive` cannot see: a task cancelled before its
        # first step never enters its coroutine at all.
        task.add_done_callback(self._settle_from_task)
        self.task_handle = task

    def cancel(self) -> None:
        """Cancel the token, nothing else: cancellation is cooperative."""
        self.cancellation_token.cancel()

    async def wait(self) -> None:
        """Wait for the task and its continuations to be due; re-raise what run() raised.

        A job is waited once. A waiter that is itself cancelled before the job ends
        leaves the job running (it is not a hard cancel) and does not use up the wait.
        """
        task = self.task_handle
        if task is None:
            raise RuntimeError("Task not launched")
        if self._wait_claimed:
            raise RuntimeError("WorkerJob already waited (a job is waited once)")
        self._wait_claimed = True
        if not task.done():
            try:
                # asyncio.wait, not `await task`: cancelling this waiter must not
                # propagate into the job's task.
                await asyncio.wait((task,))
            except asyncio.CancelledError:
                self._wait_claimed = False
                raise
        # The done-callback may not have run yet (its turn in the ready queue is the
        # loop's choice): settle here too, so the continuations are due on return.
        self._settle_from_task(task)
        task.result()

    def is_active(self) -> bool:
        """Launched and not finished yet."""
        return self.task_handle is not None and not self._finished

    def is_complete(self) -> bool:
        """Finished: the job's task has completed its continuations with run()'s outcome
        (or found them completed by someone else). That is the step in which the task
        ends, except for a task cancelled before its first step: it ends first and
        completes from its done-callback, and is complete only then, when wait() can
        return (proofs_notes/impl.md)."""
        return self._finished

    async def _drive(self) -> None:
        try:
            await self.worker_task.run()
        except BaseException as exc:
            # No await between run() ending and the re-raise: the outcome is recorded
            # at the instant it happens. KeyboardInterrupt and SystemExit are re-raised
            # too, so asyncio stops the loop as it would without us; the continuations
            # are due first and run if the loop runs on.
            self._settle(exc, hard_cancel=_is_hard_cancel(exc))
            raise
        self._settle(None)

    def _settle(self, error: BaseException | None, *, hard_cancel: bool = False) -> None:
        # If someone else already completed the continuations, `_settle` returns False
        # and Done stays as it was.
        self.worker_job_continuations._settle(
            error, self.worker, self.cancellation_token, hard_cancel=hard_cancel
        )
        self._finished = True  # in the same stretch as the completion: one instant

    def _settle_from_task(self, task: asyncio.Task[None]) -> None:
        """Complete from the finished task's outcome, unless already Done (idempotent)."""
        # Checked before looking at the outcome: task.exception() marks the exception
        # retrieved, and a failure nobody waits for should still be logged by asyncio.
        if isinstance(self.worker_job_continuations.state, Running):
            if task.cancelled():
                self._settle(_cancelled_error(task), hard_cancel=True)
            else:
                self._settle(task.exception())
        self._finished = True  # the task is over: its completion, or its skip, is done

    def __repr__(self) -> str:
        launched = (
            "unlaunched"
            if self.task_handle is None
            else ("complete" if self._finished else "active")
        )
        return (
            f"<WorkerJob worker={self.worker.name!r} {launched} "
            f"{self.worker_job_continuations.state}>"
        )


def _is_hard_cancel(exc: BaseException) -> bool:
    """A CancelledError caused by a cancel() of this task, not merely raised by run()."""
    if not isinstance(exc, asyncio.CancelledError):
        return False
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _cancelled_error(task: asyncio.Task[None]) -> asyncio.CancelledError:
    """The CancelledError a cancelled task carries, with its message."""
    try:
        task.result()
    except asyncio.CancelledError as exc:
        return exc
    raise AssertionError("task is not cancelled")  # pragma: no cover
