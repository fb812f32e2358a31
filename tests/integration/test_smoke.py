"""The compliant world passes every check, end to end on moto."""

from typing import Any

from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock


def test_compliant_world_passes(good_event: dict[str, Any]) -> None:
    report = handle_event(good_event, Settings(), lock=LocalVpcLock())[0].to_dict()
    assert report["outcome"] == "PASS", report["findings"]
    assert report["summary"]["checks"]["errored"] == []
