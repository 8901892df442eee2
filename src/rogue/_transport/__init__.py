"""ZeroMQ plumbing shared by every bridge end (stream and memory, client and server), once.

* :mod:`.context`: the process's one ZeroMQ context, ``tcp://`` URLs, closing
  forgotten bridges at interpreter exit;
* :mod:`.sockets`: creating a bridge socket (options, monitor, bind/connect,
  errors);
* :mod:`.monitor`: the monitor events asked for, their parser (pyzmq's), the
  reader, peers counted from them;
* :mod:`.messages`: receiving (``zmq.Frame.more``) and sending multipart
  messages without blocking;
* :mod:`.lifecycle`: the I/O thread's loop skeleton and the start of ``stop()``.

Above this layer: the bridges (``interfaces/*/tcp.py``), which hold the sockets
and threads and call their protocol cores and codecs. Security (who may
connect) is beside it: ``rogue._security``, which opens and reads its sockets through this layer.
"""

from __future__ import annotations

from .context import context, register_closer, tcp_url, unregister_closer
from .lifecycle import StopAliases, run_io_loop, start_io_thread
from .messages import poll_items, raw_send, recv_parts, send_parts, waiting_messages
from .monitor import (
    LINK_EVENTS,
    Monitor,
    PeerTracker,
    drain_events,
    event_name,
    parse_event,
)
from .sockets import close_all, open_pair, open_retrying, open_socket, setup_error

__all__ = [
    "LINK_EVENTS", "Monitor", "PeerTracker", "StopAliases", "close_all", "context", "drain_events", "event_name",
    "open_pair", "open_retrying", "open_socket", "parse_event", "poll_items", "raw_send", "recv_parts", "register_closer", "run_io_loop", "send_parts", "setup_error",
    "start_io_thread", "tcp_url", "unregister_closer", "waiting_messages",
]
