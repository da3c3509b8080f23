"""How long a source is expected to take over a batch: which the gateway asks first."""

from __future__ import annotations

import dataclasses

from connectors.base import Call
from schema.sources import SourceSet
from tests.connectors.helpers import source_configs
from tests.sandbox_process import SandboxProcess


def _answered(sources: SourceSet, name: str, latency_ms: float, calls: int = 30) -> None:
    for _ in range(calls):
        sources.states[name].record(Call(name, "OK", latency_ms, 1))


def test_a_fast_one_key_source_outlasts_a_slow_batch_source_over_a_thousand_subjects(
        sandbox: SandboxProcess) -> None:
    """One call of 60 ms, 32 at a time, for each of 1000 subjects: 32 rounds, 1920 ms; calls of
    220 ms for 50 subjects, 4 at a time: 20 calls in 5 rounds, 1100 ms. Asked about one
    subject, the batch source is the slower."""
    configs = source_configs(sandbox)
    single = dataclasses.replace(configs["kjj_penalties"], concurrency=32)
    batch = dataclasses.replace(configs["tgb_penalties"], max_batch=50, concurrency=4)
    assert single.transport == "rest-single" and batch.transport == "rest-batch"
    sources = SourceSet({single.name: single, batch.name: batch}, {})
    _answered(sources, single.name, 60.0)
    _answered(sources, batch.name, 220.0)
    ewma_single = sources.states[single.name].latency_ewma_ms
    ewma_batch = sources.states[batch.name].latency_ewma_ms
    assert 59 < ewma_single <= 60 and 219 < ewma_batch <= 220
    assert sources.expected_ms(single) == ewma_single
    assert sources.expected_ms(batch) == ewma_batch
    assert sources.expected_ms(single, 1000) == ewma_single * 32
    assert sources.expected_ms(batch, 1000) == ewma_batch * 5
    assert sources.expected_ms(batch, 200) == ewma_batch  # 4 calls, one round
    assert sources.expected_ms(batch, 201) == ewma_batch * 2
    assert sources.expected_ms(None, 1000) == 0.0


def test_a_source_not_yet_heard_from_is_ranked_by_its_rounds(sandbox: SandboxProcess) -> None:
    configs = source_configs(sandbox)
    single = dataclasses.replace(configs["kjj_penalties"], concurrency=10)
    sources = SourceSet({single.name: single}, {})
    assert sources.states[single.name].latency_ewma_ms == 0.0
    assert sources.expected_ms(single, 100) == 10 * 1.0
