"""One job's claim around its delivery, held the same way by the event path and the sweep.

The job is claimed before its report goes out, so the other path leaves it alone; a
delivery that fails releases the claim (the retry must check the job again) and re-raises;
a delivery that succeeds confirms it. A failed confirm is kept on the claim, never raised:
the report is out, and failing now would make Lambda retry and publish it again at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.state.records import CheckedJobs


@dataclass(eq=False, repr=False)
class Claim:
    """The claim on one job while its report is made and delivered."""

    records: CheckedJobs
    job_arn: str
    taken: bool  # False: another invocation holds or completed the job; nothing to undo
    unconfirmed: ClientError | BotoCoreError | None = None  # set when the confirm failed
    _settled: bool = False

    def release(self) -> None:
        """Give the job back: nothing was delivered, so the next run checks it again."""
        if self.taken and not self._settled:
            self._settled = True
            self.records.release(self.job_arn)

    def confirm(self) -> None:
        """Keep the record: the report is out. A failure is kept in `unconfirmed`."""
        if not self.taken or self._settled:
            return
        self._settled = True
        try:
            self.records.confirm(self.job_arn)
        except (ClientError, BotoCoreError) as error:
            # Delivered, not recorded: the claim lapses and a later sweep may report the
            # job once more. One report twice is better than one lost.
            self.unconfirmed = error


@contextmanager
def job_claim(records: CheckedJobs, job_arn: str, owner: str) -> Iterator[Claim]:
    """Claim `job_arn` for `owner` ("event" or "sweep") around the block that delivers it.

    The block may `release()` the claim itself (the job could not be read); when it raises
    the claim is released and the error propagates; when it ends the claim is confirmed.
    """
    claim = Claim(records, job_arn, taken=records.claim(job_arn, owner))
    try:
        yield claim
    except BaseException:
        claim.release()
        raise
    claim.confirm()
