"""The vectorised LFSR against a plain LFSR written straight from the spec (utilities.md)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import rogue.interfaces.stream as ris
from rogue.utilities import Prbs
from rogue.utilities._lfsr import SMALL_WORDS, Lfsr


def reference_words(width: int, taps: list[int], seed: int, count: int) -> bytes:
    """The spec's step, once per payload word: fb = XOR of (s >> t) & 1; s = (s << 1 | fb) mod 2**width."""
    s, out = seed, []
    for _ in range(count):
        fb = 0
        for t in taps:
            fb ^= (s >> t) & 1
        s = ((s << 1) | fb) & ((1 << width) - 1)
        out.append(s.to_bytes(width // 8, "little"))
    return b"".join(out)


def reference_frame(width: int, taps: list[int], seq: int, size: int) -> bytes:
    """A whole generated frame per the spec: sequence word, size word, LFSR words seeded with the sequence."""
    wb = width // 8
    head = seq.to_bytes(wb, "little") + (size // wb - 1).to_bytes(wb, "little")
    return head + reference_words(width, taps, seq, size // wb - 2)


widths = st.sampled_from(range(32, 513, 32))
tap_lists = st.lists(st.integers(0, 255), max_size=8)


@settings(max_examples=150, deadline=None)
@given(width=widths, taps=tap_lists, data=st.data(),
       count=st.one_of(st.integers(1, 3 * SMALL_WORDS), st.integers(1, 6000)))
def test_vectorised_generator_equals_reference(width: int, taps: list[int], data: st.DataObject, count: int) -> None:
    seed = data.draw(st.one_of(st.integers(0, 2**32 - 1), st.integers(0, 2**width - 1)), label="seed")
    lfsr = Lfsr(width, bytes(taps))
    ref = reference_words(width, taps, seed, count)
    assert lfsr.words_small(seed, count) == ref
    out = np.empty(count * width // 32, dtype="<u4")
    lfsr.fill(seed, out)
    assert out.tobytes() == ref
    assert lfsr.first_mismatch(seed, out) == -1
    if count > 1:
        k = data.draw(st.integers(0, count - 1), label="corrupt word")
        out[k * width // 32 + data.draw(st.integers(0, width // 32 - 1))] ^= 1 << data.draw(st.integers(0, 31))
        assert lfsr.first_mismatch(seed, out) == k


def test_beyond_the_table_equals_reference() -> None:
    # Frames longer than the per-seed-bit table continue with the block recurrence: check the tail.
    for width, taps in ((32, [1, 2, 6, 31]), (64, [0, 255]), (512, [255, 254, 100, 3])):
        lfsr = Lfsr(width, bytes(taps))
        count = 8 * lfsr.table_limit + 5000  # generated bits >> table bits
        out = np.empty(count * width // 32, dtype="<u4")
        lfsr.fill(0xDEADBEEF, out)
        lanes, tail = width // 32, 3000
        start = count - tail
        seed = int.from_bytes(out[(start - 1) * lanes:start * lanes].tobytes(), "little")
        assert out[start * lanes:].tobytes() == reference_words(width, taps, seed, tail)


class _Keep(ris.Slave):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[bytes] = []

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.frames.append(frame.getBytes())


@settings(max_examples=60, deadline=None)
@given(width=widths, taps=tap_lists, seq=st.integers(0, 2**32 - 1), words=st.integers(3, 2500))
def test_generated_frame_equals_reference_and_checks_clean(width: int, taps: list[int], seq: int, words: int) -> None:
    tx, rx, keep = Prbs(), Prbs(), _Keep()
    for p in (tx, rx):
        p.setWidth(width)
        p.setTaps(bytes(taps))
    tx._tx_seq = seq  # start the sequence anywhere (white box: Rogue only counts up from 0)
    tx >> keep
    tx >> rx
    tx.genFrame(words * width // 8)
    assert keep.frames == [reference_frame(width, taps, seq, words * width // 8)]
    assert (rx.getRxCount(), rx.getRxErrors()) == (1, 0)


def test_table_grown_in_steps_under_a_small_limit() -> None:
    # White box: a small table limit makes the table grow several times and frames run past it.
    for width, taps in ((32, [1, 2, 6, 31]), (512, [0, 255]), (256, [255, 254, 200, 3]), (64, [5, 9])):
        lfsr = Lfsr(width, bytes(taps))
        span = max(t for t in taps if t < width) + 1
        lfsr.table_limit = max(64, -(-4 * span // 8) * 8)
        seed = 0xDEADBEEF
        for nbytes in (8, 64, 260, 1000, 4000):
            words = np.frombuffer(reference_words(width, taps, seed, 8 * nbytes), dtype=np.uint8)
            lsb = words.reshape(8 * nbytes, width // 8)[:, 0] & 1  # b[n] is bit 0 of word n-1
            assert np.array_equal(lfsr.bits(seed, nbytes), np.packbits(lsb, bitorder="little")), (width, nbytes)
