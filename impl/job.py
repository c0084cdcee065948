"""WorkerJob: one task that runs a WorkerTask and completes its continuations."""

from __future__ import annotations

import asyncio
from typing import Protocol

from . import metrics, progress
from ._checks import check_task, check_token, check_worker
from .continuations import Continuations
from .timeouts import Attempts, RetryPolicy, check_timeouts
from .token import CancellationToken
from .types import Running, Worker, WorkerTask

__all__ = ["WorkerJob"]


class Admission(Protocol):
    """A scheduler's hold on a job it has queued (impl/scheduler.py). Set by `submit`;
    the scheduler clears it just before it launches the job, and keeps it on a job it
    completed without running (cancelled while queued)."""

    def withdraw(self) -> None:
        """The job was cancelled: leave the queue and complete it now (if still queued)."""

    async def launched(self) -> asyncio.Task[None] | None:
        """The job's task once the scheduler launched it; None if it never will."""


class WorkerJob:
    """A Worker, a WorkerTask and a token, launched as one asyncio task.

    Field names are the seed's: `worker`, `worker_task`, `cancellation_token`,
    `task_handle` (None until launched), `worker_job_continuations`.

    `timeout`, `grace` and `retry` (ENHANCEMENTS.md, impl/timeouts.py) add a deadline,
    a grace period and retried attempts; left at None, the job is SPEC's exactly.
    """

    __slots__ = (
        "__weakref__",
        "_admission",
        "_finished",
        "_meter",
        "_run_outcome",
        "_runs",
        "_timeouts",
        "_wait_claimed",
        "cancellation_token",
        "progress",
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
        *,
        timeout: float | None = None,
        grace: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        check_worker(worker)
        check_task(worker_task)
        check_token(cancellation_token)
        check_timeouts(timeout, grace, retry)
        self.worker = worker
        self.worker_task = worker_task
        self.cancellation_token = cancellation_token
        self.task_handle: asyncio.Task[None] | None = None
        # The channel closes at the instant the continuations become Done, whoever
        # completes them (its `_close` holds the channel, not the job: no cycle).
        self.progress = progress.ProgressChannel()
        self.worker_job_continuations = Continuations(owner=self, on_done=self.progress._close)
        self._wait_claimed = False
        self._meter: metrics.JobMeter | None = None  # a scheduler may set it at submit
        self._admission: Admission | None = None
        # How run() ended, once it has: (None,) returned, (exc,) raised. wait() reports
        # this, not the task's own outcome: a cancel of the task that lands after run()
        # ended (run() cancelling its own task in its last step, a hard cancel while
        # the task finishes) would otherwise turn a finished run() into a cancelled one.
        self._run_outcome: tuple[BaseException | None] | None = None
        self._runs = 0  # attempts started, without options (with them: `_timeouts.count`)
        # ENHANCEMENTS.md, Timeouts and Retries (impl/timeouts.py); None: SPEC exactly.
        self._timeouts = (None if timeout is None and retry is None
                          else Attempts(self, timeout, grace, retry))
        self._finished = False  # the job's task has done its completion step

    def launch(self) -> None:
        """Start the job's task on the running loop. A second launch is a RuntimeError,
        and so is a launch of a job submitted to a JobScheduler (the scheduler launches it)."""
        if self.task_handle is not None:
            raise RuntimeError("WorkerJob already launched")
        if self._admission is not None:
            raise RuntimeError("WorkerJob was submitted to a JobScheduler, which launches it")
        loop = asyncio.get_running_loop()  # RuntimeError when there is none
        task = loop.create_task(self._drive())
        # Safety net for the one outcome `_drive` cannot see: a task cancelled before its
        # first step never enters its coroutine at all.
        task.add_done_callback(self._settle_from_task)
        self.task_handle = task
        self._meter = metrics.job_launched(self._meter, loop)
        if self._timeouts is not None:
            self._timeouts.arm(loop, task)  # the deadline counts from this instant

    def cancel(self) -> None:
        """Cancel the token, nothing else: cancellation is cooperative. A job queued in a
        JobScheduler leaves the queue and completes Done(CANCELLED, None) at once."""
        self.cancellation_token.cancel()
        if self._admission is not None:
            self._admission.withdraw()

    async def wait(self) -> None:
        """Wait for the task and its continuations to be due; re-raise what run() raised.

        A job is waited once. A waiter that is itself cancelled before the job ends
        leaves the job running (it is not a hard cancel) and does not use up the wait.
        """
        task = self.task_handle
        admission = self._admission
        if task is None and admission is None:
            raise RuntimeError("Task not launched")
        if self._wait_claimed:
            raise RuntimeError("WorkerJob already waited (a job is waited once)")
        self._wait_claimed = True
        if task is None:
            assert admission is not None
            # Queued in a scheduler: wait for it to launch the job, or to complete it
            # without running (then the job's outcome is a CancelledError).
            try:
                task = await admission.launched()
            except asyncio.CancelledError:
                self._wait_claimed = False
                raise
            if task is None:
                raise asyncio.CancelledError("cancelled while queued")
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
        ended = self._run_outcome
        if ended is None:
            task.result()  # cancelled before run() ended: raises the CancelledError
            return
        if not task.cancelled():
            task.exception()  # retrieved: asyncio must not log it as never retrieved
        if ended[0] is not None:
            raise ended[0]

    @property
    def attempts(self) -> int:
        """The number of attempts (calls of `worker_task.run()`) started so far."""
        return self._runs if self._timeouts is None else self._timeouts.count

    @property
    def timed_out(self) -> bool:
        """Whether the deadline took effect (the job then cancelled its token)."""
        return self._timeouts is not None and self._timeouts.timed_out

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
        progress.enter(self.progress)  # in this task's own context: report_progress()
        try:
            if self._timeouts is None:
                self._runs = 1
                metrics.attempt_started(self._meter)
                await self.worker_task.run()
            else:
                await self._timeouts.run()  # attempts, backoffs, deadline: impl/timeouts.py
        except BaseException as exc:
            # No await between run() ending and the re-raise: the outcome is recorded
            # at the instant it happens. KeyboardInterrupt and SystemExit are re-raised
            # too, so asyncio stops the loop as it would without us; the continuations
            # are due first and run if the loop runs on.
            self._run_outcome = (exc,)
            self._settle(exc, hard_cancel=_is_hard_cancel(exc))
            raise
        self._run_outcome = (None,)
        self._settle(None)

    def _settle(self, error: BaseException | None, *, hard_cancel: bool = False) -> None:
        # If someone else already completed the continuations, `_settle` returns False
        # and Done stays as it was.
        self.worker_job_continuations._settle(
            error, self.worker, self.cancellation_token, hard_cancel=hard_cancel
        )
        self._finished = True  # in the same stretch as the completion: one instant
        # The same instant as Done: the job stops running and is counted completed.
        metrics.job_ended(self._meter, self.worker_job_continuations.state)

    def _settle_from_task(self, task: asyncio.Task[None]) -> None:
        """Complete from the finished task's outcome, unless already Done (idempotent)."""
        # Checked before looking at the outcome: task.exception() marks the exception
        # retrieved, and a failure nobody waits for should still be logged by asyncio.
        if self._timeouts is not None:
            self._timeouts.finish()  # nothing of a finished job stays scheduled
        if isinstance(self.worker_job_continuations.state, Running):
            if task.cancelled():
                self._settle(_cancelled_error(task), hard_cancel=True)
            else:
                self._settle(task.exception())
        self._finished = True  # the task is over: its completion, or its skip, is done
        # Done by someone else and the task cancelled before run(): ended all the same.
        metrics.job_ended(self._meter, self.worker_job_continuations.state)

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
