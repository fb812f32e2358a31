"""Exact range reasoning, checked against brute force on a small space."""

from hypothesis import given
from hypothesis import strategies as st

from ir_vpc_guard.checks.netmath import (
    AclRule,
    Grant,
    acl_allows,
    cidr_interval,
    grants_cover,
    union_covers,
)

SMALL = st.tuples(st.integers(0, 40), st.integers(0, 40)).map(lambda t: (min(t), max(t)))


@given(st.lists(SMALL, max_size=6), SMALL)
def test_union_covers_matches_brute_force(
    intervals: list[tuple[int, int]], target: tuple[int, int]
) -> None:
    covered = {x for lo, hi in intervals for x in range(lo, hi + 1)}
    assert union_covers(intervals, target) == all(
        x in covered for x in range(target[0], target[1] + 1)
    )


@given(st.lists(st.builds(Grant, SMALL, SMALL), max_size=5), SMALL, SMALL)
def test_grants_cover_matches_brute_force(
    grants: list[Grant], addresses: tuple[int, int], ports: tuple[int, int]
) -> None:
    def allowed(a: int, p: int) -> bool:
        return any(
            g.addresses[0] <= a <= g.addresses[1] and g.ports[0] <= p <= g.ports[1] for g in grants
        )

    expected = all(
        allowed(a, p)
        for a in range(addresses[0], addresses[1] + 1)
        for p in range(ports[0], ports[1] + 1)
    )
    assert grants_cover(grants, addresses, ports) == expected


ACL_RULES = st.lists(
    st.builds(AclRule, st.integers(1, 50), st.booleans(), SMALL, SMALL), max_size=5
)


@given(ACL_RULES, SMALL, SMALL)
def test_acl_first_match_matches_brute_force(
    rules: list[AclRule], addresses: tuple[int, int], ports: tuple[int, int]
) -> None:
    ordered = sorted(rules, key=lambda r: r.number)

    def allowed(a: int, p: int) -> bool:
        for r in ordered:
            if r.addresses[0] <= a <= r.addresses[1] and r.ports[0] <= p <= r.ports[1]:
                return r.allow
        return False

    expected = all(
        allowed(a, p)
        for a in range(addresses[0], addresses[1] + 1)
        for p in range(ports[0], ports[1] + 1)
    )
    assert acl_allows(rules, addresses, ports) == expected


def test_cidr_interval_ignores_ipv6_and_garbage() -> None:
    assert cidr_interval("10.0.0.0/31") == (167772160, 167772161)
    assert cidr_interval("::/0") is None
    assert cidr_interval("nope") is None
