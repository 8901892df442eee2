"""Rogue's interfaces: ``stream`` (frames), ``memory`` (register transactions), and the remote interface of a
pyrogue tree, ``ZmqServer`` and ``ZmqClient``."""

from .zmq_client import ZmqClient
from .zmq_server import ZmqServer

__all__ = ["ZmqClient", "ZmqServer"]
