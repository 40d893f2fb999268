"""The collector is held off during bulk work and always runs again after it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from bot.collector import held_off


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_held_off_stops_automatic_collection_until_the_block_ends() -> None:
    with held_off():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_failing_block_still_turns_the_collector_back_on() -> None:
    with pytest.raises(RuntimeError), held_off():
        raise RuntimeError("the plan failed")
    assert gc.isenabled()


def test_overlapping_holds_end_with_the_last_one() -> None:
    outer_in, inner_done, outer_go = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def outer() -> None:
        with held_off():
            outer_in.set()
            outer_go.wait(5)
            seen.append(gc.isenabled())

    t = threading.Thread(target=outer)
    t.start()
    assert outer_in.wait(5)
    with held_off():
        pass
    inner_done.set()
    assert not gc.isenabled()  # the other thread's hold still stands
    outer_go.set()
    t.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    with held_off():
        pass
    assert not gc.isenabled()
