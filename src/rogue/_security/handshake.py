"""A client's view of its handshakes with a guarded server: what a monitor event says about admission.

The server side (who is admitted, and why not) is :mod:`.zap` and
:mod:`.zap_policy`; a client sees only the outcome, in its socket's monitor
events, classified here once for every client bridge.
"""

from __future__ import annotations

import zmq

from .zap_policy import BUSY

__all__ = ["handshake_result"]

_FAILED = zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
_BUSY = int(BUSY)


def handshake_result(event: int, value: int) -> str | None:
    """Classify a client socket's monitor event: ``'ok'``, ``'busy'``, ``'refused'``, ``'failed'`` or None.

    ``'busy'``: an exclusive server already serves another client. ``'refused'``:
    the server's ZAP handler said no (address or CURVE key not allowed). libzmq
    does not retry either by itself. ``'failed'``: the handshake broke (a wrong
    CURVE server key, a NULL client on a CURVE port, a socket type the port does
    not serve). ``value`` is the event's value.
    """
    if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
        return "ok"
    if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
        return "busy" if value == _BUSY else "refused"
    if event & _FAILED:
        return "failed"
    return None
