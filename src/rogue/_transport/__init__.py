"""The only ZeroMQ layer: every bridge end's sockets are made, configured, monitored and read here.

* :mod:`.context`: the process's one ZeroMQ context, ``tcp://`` URLs, closing
  forgotten bridges at interpreter exit;
* :mod:`.sockets`: creating a bridge socket (options, monitor, bind/connect,
  errors), a bridge end's pair, an ``inproc`` socket, the remote interface's
  plain sockets;
* :mod:`.heartbeat`: link checking (TCP options, dropping a silent link's
  connections, counting losses);
* :mod:`.listener`: a server's listening ports released before ``stop()`` returns;
* :mod:`.monitor`: the monitor events asked for, their reader and parser,
  peers counted from them (:class:`Monitor`);
* :mod:`.link`: a bridge end's link state, from its two sockets' monitors;
* :mod:`.messages`: receiving (``zmq.Frame.more``) and sending multipart
  messages without blocking;
* :mod:`.waker`: waking a thread that sleeps in a poll, from any thread;
* :mod:`.lifecycle`: the opening every bridge end shares (:class:`BridgeEnd`),
  its I/O thread's loop skeleton and the start of ``stop()``.

Above this layer: the bridges (``interfaces/*/tcp.py``), which hold the sockets
and threads and call their protocol cores and codecs. Security (who may
connect) is beside it: ``rogue._security``, which opens and reads its sockets
through this layer. The library imports the names below from this package,
never from its modules.
"""

from __future__ import annotations

from .context import context, register_closer, tcp_url, unregister_closer
from .heartbeat import DEFAULT_INTERVAL, DEFAULT_TIMEOUT, Heartbeat, LinkLoss, peer_address, zmtp_heartbeat
from .lifecycle import BridgeEnd, StopAliases, run_io_loop, start_io_thread
from .link import Link
from .listener import Listen, ensure_released, listening_address, release_error, release_timeout, wait_free
from .messages import (
    Part,
    PartlySent,
    Pollable,
    messages_keeping,
    poll_items,
    raw_send,
    recv_one,
    recv_parts,
    send4,
    send_parts,
    waiting_messages,
)
from .monitor import LINK_EVENTS, EventQueue, Monitor, MonitorSource, monitor_reader, waiting_events
from .sockets import (
    Prepare,
    Socket,
    close_all,
    make_socket,
    open_inproc,
    open_pair,
    open_retrying,
    open_socket,
    set_receive_timeout,
    setup_error,
)
from .waker import Waker

__all__ = [
    "BridgeEnd", "DEFAULT_INTERVAL", "DEFAULT_TIMEOUT", "EventQueue", "Heartbeat", "LINK_EVENTS", "Link",
    "LinkLoss", "Listen", "Monitor", "MonitorSource", "Part", "PartlySent", "Pollable", "Prepare", "Socket",
    "StopAliases", "Waker", "close_all", "context", "ensure_released", "listening_address", "make_socket",
    "messages_keeping", "monitor_reader", "open_inproc", "open_pair", "open_retrying", "open_socket",
    "peer_address", "poll_items", "raw_send", "recv_one", "recv_parts", "register_closer", "release_error",
    "release_timeout", "run_io_loop", "send4", "send_parts", "set_receive_timeout", "setup_error",
    "start_io_thread", "tcp_url", "unregister_closer", "wait_free", "waiting_events", "waiting_messages",
    "zmtp_heartbeat",
]
