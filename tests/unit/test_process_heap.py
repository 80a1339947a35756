"""The worker's C heap call: real on glibc, harmless elsewhere."""

from __future__ import annotations

from bot.process_heap import ProcessHeap


class _Libc:
    def __init__(self) -> None:
        self.trimmed: list[int] = []

    def malloc_trim(self, pad: int) -> int:
        self.trimmed.append(pad)
        return 1


def test_without_a_c_library_nothing_is_done() -> None:
    assert ProcessHeap(None).give_back_freed() is False


def test_the_whole_free_heap_is_given_back() -> None:
    libc = _Libc()
    assert ProcessHeap(libc).give_back_freed() is True
    assert libc.trimmed == [0]                 # no pad kept at the heap's top


def test_this_process_can_be_asked() -> None:
    ProcessHeap.of_this_process().give_back_freed()   # returns 0 or 1 by what is free
