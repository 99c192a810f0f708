"""What every strategy of mockhm draws alike: ids, Faker seeds, the profile argument, profiles.

Decorative values come from a per-thread Faker reseeded with an integer Hypothesis drew, so a
failing example replays exactly; ids shrink toward 0.
"""

from __future__ import annotations

import threading
from typing import Final

from faker import Faker
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockhm.traffic.provider import make_faker
from mockhm.wire.errors import UnknownProfileError
from mockhm.wire.profiles import PROFILES, Profile, get_profile

MAX_ID: Final[int] = 10_000
IDS = st.integers(min_value=0, max_value=MAX_ID)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
_local = threading.local()


def faker_for(seed: int) -> Faker:
    """A per-thread Faker with the OpenNebula provider, reseeded with ``seed``."""
    fake: Faker | None = getattr(_local, "faker", None)
    if fake is None:
        fake = make_faker(seed)
        _local.faker = fake
    else:
        fake.seed_instance(seed)
    return fake


def profile_arg(profile: Profile | str | None, argument: str = "profile") -> Profile:
    try:
        return get_profile(profile)
    except UnknownProfileError:
        allowed = ", ".join(repr(n) for n in PROFILES)
        raise InvalidArgument(
            f"{argument}={profile!r} is not a mockhm profile; expected one of {allowed}, "
            "a release number such as '6.8.1', or None for the default (7.4)"
        ) from None


def profiles() -> st.SearchStrategy[Profile]:
    """Any release profile, newest (the default, 7.4) first."""
    ordered = sorted(PROFILES.values(), key=lambda p: (p.key_form != "ga", [-v for v in p.release]))
    return st.sampled_from(ordered)
