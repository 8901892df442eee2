#!/usr/bin/env python3
# A stream path written the way Rogue's own tests are (tests/interfaces/test_fifo.py
# in Rogue): the only imports are rogue.interfaces.stream and rogue, and the
# utilities are reached as attributes, as C++ Rogue's extension module allows;
# nothing is stopped by hand, and the process must still exit.
import rogue.interfaces.stream
import rogue
import time

FRAME_COUNT = 100
FRAME_SIZE = 1024


def fifo_path():
    prbsTx = rogue.utilities.Prbs()
    prbsRx = rogue.utilities.Prbs()
    fifo = rogue.interfaces.stream.Fifo(0, 0, False)

    prbsTx >> fifo >> prbsRx
    prbsRx.checkPayload(True)

    for _ in range(FRAME_COUNT):
        prbsTx.genFrame(FRAME_SIZE)

    # Wait for the FIFO's thread to deliver every frame (a hang guard, not a speed limit).
    end = time.monotonic() + 30
    while prbsRx.getRxCount() < FRAME_COUNT and time.monotonic() < end:
        time.sleep(0.01)

    if prbsRx.getRxErrors() != 0:
        raise AssertionError('PRBS Frame errors detected! Errors = {}'.format(prbsRx.getRxErrors()))
    if prbsRx.getRxCount() != FRAME_COUNT:
        raise AssertionError('Frame count error. Got = {} expected = {}'.format(prbsRx.getRxCount(), FRAME_COUNT))
    if prbsRx.getRxBytes() != FRAME_COUNT * FRAME_SIZE:
        raise AssertionError('Byte count error. Got = {}'.format(prbsRx.getRxBytes()))

    print("rx {} frames, {} errors".format(prbsRx.getRxCount(), prbsRx.getRxErrors()))


if __name__ == "__main__":
    fifo_path()
