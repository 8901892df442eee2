#!/usr/bin/env python3
"""Memory TCP bridge, server half (the Rogue bridge documentation's "Python Server Example", made runnable).

The server process owns the hardware-facing memory endpoint: an ``SrpV3``
protocol block. With no FPGA at hand, its stream side is connected to an
``SrpV3Emulation``, which answers SRPv3 requests from an emulated memory the
way the firmware would. With real hardware, ``srpv3 == dma_channel`` instead.

    python examples/memory_server.py [PORT] [--addr ADDR] [--seconds S]

Listens on ADDR (default ``*``, all interfaces, as in Rogue's documentation) for
``--seconds`` (default 30) or until Ctrl-C. Run ``memory_client.py`` against it.
"""

import argparse
import time

import rogue.interfaces.memory as rim
import rogue.protocols.srp as rps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", nargs="?", type=int, default=8000, help="base port P (P and P+1), default 8000")
    parser.add_argument("--addr", default="*", help="interface to listen on (default '*': all)")
    parser.add_argument("--seconds", type=float, default=30.0, help="serve this long (default 30)")
    args = parser.parse_args()

    # Local memory SRP bridge
    srpv3 = rps.SrpV3()

    # The "hardware": an emulated SRPv3 endpoint on the other end of the stream
    hardware = rps.SrpV3Emulation()
    srpv3 == hardware

    # Listen on ADDR using ports P and P+1
    tcp = rim.TcpServer(args.addr, args.port)

    # Connect the TCP bridge to the local memory Slave
    tcp >> srpv3

    print(f"memory server listening on {args.addr}:{args.port}", flush=True)
    try:
        time.sleep(args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        tcp.close()
        hardware.stop()
        srpv3._stop()
    print("memory server stopped", flush=True)


if __name__ == "__main__":
    main()
