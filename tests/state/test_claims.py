"""One claim around one delivery: taken before, released when the delivery fails (and the
error goes on), confirmed after; a failed confirm is kept on the claim, never raised."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from ir_vpc_guard.state.claims import job_claim
from ir_vpc_guard.state.records import MemoryCheckedJobs

ARN = "arn:aws:sagemaker:us-east-1:123456789012:inference-recommendations-job/demo-ir-job"


class Recorded(MemoryCheckedJobs):
    """The in-memory records, with every call written down (and a confirm that can fail)."""

    def __init__(self, confirm_error: Exception | None = None) -> None:
        super().__init__()
        self.calls: list[tuple[str, ...]] = []
        self.confirm_error = confirm_error

    def claim(self, job_arn: str, trigger: str) -> bool:
        self.calls.append(("claim", job_arn, trigger))
        return super().claim(job_arn, trigger)

    def release(self, job_arn: str) -> None:
        self.calls.append(("release", job_arn))
        super().release(job_arn)

    def confirm(self, job_arn: str) -> None:
        self.calls.append(("confirm", job_arn))
        if self.confirm_error is not None:
            raise self.confirm_error


def throttled(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, operation)


def test_a_delivered_job_is_claimed_then_confirmed() -> None:
    records = Recorded()
    with job_claim(records, ARN, "event") as claim:
        assert claim.taken
        assert records.calls == [("claim", ARN, "event")]  # before the delivery
    assert records.calls == [("claim", ARN, "event"), ("confirm", ARN)]
    assert claim.unconfirmed is None
    assert records.seen([ARN]) == {ARN}


def test_a_failed_delivery_releases_the_claim_and_raises() -> None:
    records = Recorded()
    with pytest.raises(ClientError, match="ThrottlingException"), job_claim(records, ARN, "sweep"):
        raise throttled("Publish")
    assert records.calls == [("claim", ARN, "sweep"), ("release", ARN)]
    assert records.seen([ARN]) == set()  # the retry checks the job again


def test_an_interrupted_delivery_releases_the_claim_too() -> None:
    records = Recorded()
    with pytest.raises(KeyboardInterrupt), job_claim(records, ARN, "event"):
        raise KeyboardInterrupt
    assert records.calls[-1] == ("release", ARN)


def test_a_job_claimed_elsewhere_is_neither_released_nor_confirmed() -> None:
    records = Recorded()
    assert records.claim(ARN, "sweep")
    with job_claim(records, ARN, "event") as claim:
        assert not claim.taken
    with pytest.raises(RuntimeError), job_claim(records, ARN, "event"):
        raise RuntimeError("publish failed")
    assert [call[0] for call in records.calls] == ["claim", "claim", "claim"]
    assert records.seen([ARN]) == {ARN}  # the other claim stands


def test_a_claim_given_back_by_the_block_is_not_confirmed() -> None:
    records = Recorded()
    with job_claim(records, ARN, "sweep") as claim:
        claim.release()  # e.g. the job could not be read
        claim.release()  # once is enough
    assert records.calls == [("claim", ARN, "sweep"), ("release", ARN)]


@pytest.mark.parametrize(
    "error", [throttled("UpdateItem"), EndpointConnectionError(endpoint_url="https://ddb")]
)
def test_a_failed_confirm_is_kept_on_the_claim_not_raised(error: Exception) -> None:
    records = Recorded(confirm_error=error)
    with job_claim(records, ARN, "event") as claim:
        pass
    assert claim.unconfirmed is error
    assert records.calls == [("claim", ARN, "event"), ("confirm", ARN)]  # no release


def test_a_confirm_failing_otherwise_is_raised() -> None:
    records = Recorded(confirm_error=ValueError("a bug, not AWS"))
    with pytest.raises(ValueError), job_claim(records, ARN, "event"):
        pass
