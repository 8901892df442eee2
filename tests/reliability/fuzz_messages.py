"""Seeded pools of random and malformed multipart messages for the bridge fuzz tests.

Pure: no sockets. Each pool is classified with the bridges' own codecs, so a
test knows exactly how many messages each bridge must count as malformed.
"""

from __future__ import annotations

import random

from rogue.interfaces.memory import _wire as mw
from rogue.interfaces.stream import _wire as sw

# Part lengths near the valid ones (0..16) are the interesting ones; some are long.
_LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 33, 300]


def _part(rng: random.Random) -> bytes:
    return rng.randbytes(rng.choice(_LENGTHS))


def _random_message(rng: random.Random, valid_sizes: list[int], max_parts: int) -> list[bytes]:
    """Mostly near-valid: right part count with a wrong size, or a wrong count."""
    kind = rng.random()
    if kind < 0.4:  # valid part sizes, random contents, random count around the valid one
        n = rng.choice([len(valid_sizes) - 1, len(valid_sizes), len(valid_sizes) + 1])
        return [rng.randbytes(valid_sizes[i]) if i < len(valid_sizes) else _part(rng) for i in range(max(1, n))]
    if kind < 0.8:  # one header part of the wrong size
        parts = [rng.randbytes(s) for s in valid_sizes]
        parts[rng.randrange(len(parts))] = _part(rng)
        return parts
    return [_part(rng) for _ in range(rng.randint(1, max_parts))]


def stream_pool(seed: int, n: int = 4096) -> tuple[list[list[bytes]], int]:
    """Messages for a stream port, and how many of them are malformed."""
    rng = random.Random(seed)
    pool, bad = [], 0
    for _ in range(n):
        msg = _random_message(rng, [2, 1, 1, rng.choice([0, 1, 8, 64])], 8)
        try:
            sw.decode(msg)
        except sw.WireError:
            bad += 1
        pool.append(msg)
    return pool, bad


def memory_request_pool(seed: int, n: int = 4096) -> list[list[bytes]]:
    """Requests for a memory server port, every one malformed (none reaches the slave)."""
    rng = random.Random(seed)
    pool = []
    for _ in range(n):
        msg = _random_message(rng, [4, 8, 4, 4, rng.choice([0, 4, 8])], 8)
        try:
            mw.decode_request(msg)
        except mw.WireError:
            pool.append(msg)
            continue
        pool.append([*msg, b"x"])  # valid by chance: one part too many (5 -> 6, or a read with data)
    return pool


def memory_response_pool(seed: int, n: int = 4096) -> tuple[list[list[bytes]], int]:
    """Responses for a memory client port (no transaction in flight), and how many it must count.

    A decodable response counts as unknown, a malformed one as malformed; a
    decodable Post response is ignored silently (the client completed it already).
    """
    rng = random.Random(seed)
    pool, counted = [], 0
    for _ in range(n):
        msg = _random_message(rng, [4, 8, 4, 4, rng.choice([0, 4]), rng.choice([1, 2, 20])], 9)
        if len(msg) > 3 and len(msg[3]) == 4:
            msg[3] = (rng.randint(1, 4) if rng.random() < 0.5 else rng.getrandbits(32)).to_bytes(4, "little")
        if len(msg) > 0 and len(msg[0]) == 4:
            msg[0] = rng.randint(1 << 20, (1 << 32) - 1).to_bytes(4, "little")  # never an id in flight
        try:
            resp = mw.decode_response(msg)
        except mw.WireError:
            counted += 1
        else:
            counted += resp.type != mw.POST
        pool.append(msg)
    return pool, counted
