"""Count AWS calls with botocore event hooks, and fake the one call moto lacks."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3

from ir_vpc_guard.aws import AwsClients


class _Http:
    status_code = 200


def counting_session(counter: Counter[str], *, simulator: str | None = "allowed") -> Any:
    """A session whose clients count every API call into `counter` by "service.Operation".

    moto does not implement iam:SimulatePrincipalPolicy (docs/moto.md, "IAM"): with `simulator`
    set, that one call is answered here with the given decision for every action, which is
    what AWS does for a role whose policies allow them.
    """
    session = boto3.session.Session(region_name="us-east-1")

    def count(event_name: str, **_: Any) -> None:
        _stage, service, operation = event_name.split(".", 2)
        counter[f"{service}.{operation}"] += 1

    def simulate(params: dict[str, Any], **_: Any) -> Any:  # (response, parsed)
        body = params["body"]  # the serialized query: ActionNames.member.N = action
        actions = [v for k, v in sorted(body.items()) if k.startswith("ActionNames.member.")]
        results = [{"EvalActionName": a, "EvalDecision": simulator} for a in actions]
        return _Http(), {"EvaluationResults": results, "IsTruncated": False}

    session.events.register("before-call.*.*", count)
    if simulator is not None:
        session.events.register("before-call.iam.SimulatePrincipalPolicy", simulate)
    return session


def clients_factory(session: Any) -> Any:
    return lambda region: AwsClients(region, session=session)
