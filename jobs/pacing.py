"""How a job paces itself: the retry delay of an enterprise whose check could not be completed
(exponential backoff with jitter), and the size of the chunks a worker claims.

A department that did not answer is asked again after `base · 2^attempt` seconds, capped, of
which a random part ("equal jitter": half fixed, half uniform) spreads the retries of many
enterprises so that a department coming back is not met by all of them at once. The random
source is passed in, so that tests fix it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Pacing", "retry_delay"]


def retry_delay(attempt: int, rng: random.Random, *, base_s: float = 2.0,
                cap_s: float = 300.0) -> float:
    """Seconds to wait before attempt `attempt + 1` (attempt 0 is the first try)."""
    ceiling = min(cap_s, base_s * (1 << min(max(attempt, 0), 30)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True, slots=True)
class Pacing:
    """A worker's settings: how many enterprises a chunk holds, how many chunks one process
    runs at once, how long a claim lasts before another worker may take it over, and the
    retry backoff."""

    chunk: int = 100
    chunks_in_flight: int = 2
    lease_s: float = 300.0
    idle_s: float = 1.0  # how long an idle worker waits before it looks for work again
    retry_base_s: float = 2.0
    retry_cap_s: float = 300.0

    def __post_init__(self) -> None:
        if self.chunk < 1 or self.chunks_in_flight < 1:
            raise ValueError("jobs: chunk and chunks_in_flight must be at least 1")
        if self.lease_s <= 0 or self.idle_s <= 0:
            raise ValueError("jobs: lease_s and idle_s must be positive")
