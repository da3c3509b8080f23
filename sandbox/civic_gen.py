"""Small deterministic generators for the matters' data: random streams, dates, names, numbers.

Every value the civic departments hold is drawn from a stream named by the seed and the subject
(`stream(seed, "pension", index)`), so the same seed gives the same answers in every run and
every department, whatever order subjects are asked in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from sandbox.data import TODAY
from sandbox.synth import date_between, month_back, years_after

__all__ = [
    "DISTRICTS",
    "TODAY",
    "age_of",
    "birth_of",
    "date_between",
    "digits",
    "female",
    "local",
    "month_back",
    "months_between",
    "stream",
    "years_after",
]

DISTRICTS = {
    "410702": "红旗区", "410703": "卫滨区", "410704": "凤泉区", "410711": "牧野区",
    "410721": "新乡县", "410724": "获嘉县", "410725": "原阳县", "410726": "延津县",
    "410727": "封丘县", "410781": "卫辉市", "410782": "辉县市", "410783": "长垣市",
}


def stream(seed: int, *parts: object) -> random.Random:
    """A random stream of its own for one purpose and subject."""
    digest = hashlib.blake2b(repr(("civic", seed, *parts)).encode(), digest_size=16).digest()
    return random.Random(int.from_bytes(digest, "big"))


def months_between(start: dt.date, end: dt.date) -> int:
    return max(0, (end.year - start.year) * 12 + end.month - start.month)


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def birth_of(resident_id: str) -> dt.date:
    return dt.date(int(resident_id[6:10]), int(resident_id[10:12]), int(resident_id[12:14]))


def age_of(resident_id: str, on: dt.date = TODAY) -> int:
    born = birth_of(resident_id)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def female(resident_id: str) -> bool:
    return int(resident_id[16]) % 2 == 0


def local(resident_id: str) -> bool:
    """Registered in Xinxiang: the household registry holds this person."""
    return resident_id[:6] in DISTRICTS
