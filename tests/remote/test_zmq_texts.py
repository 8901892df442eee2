"""The pure parts of ZmqServer/ZmqClient: the string-port JSON and Rogue's texts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rogue.interfaces._zmq_common import bind_error, recovered_text, string_request, timeout_text, wait_text


def rogue_json(path: str, attr: str, arg: str) -> bytes:
    """C++ Rogue's ZmqClient::sendString text, built as Rogue builds it (no escaping)."""
    snd = '{"attr": "' + attr + '",' + '"path": "' + path + '"'
    if arg != "":
        snd += ',"args": ["' + arg + '"]'
    return (snd + "}").encode()


@pytest.mark.parametrize("path,attr,arg", [
    ("Root.Dev.Reg", "getDisp", ""), ("Root.Dev.Reg", "setDisp", "0x20"), ("root", "__call__", "True"),
    ("Root.A[3]", "valueDisp", ""), ("Rööt.Ü", "setDisp", "ünïcode"),
])
def test_same_bytes_as_rogue(path: str, attr: str, arg: str) -> None:
    assert string_request(path, attr, [arg] if arg else []) == rogue_json(path, attr, arg)


_plain = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'))


@given(_plain, _plain, _plain)
def test_same_bytes_as_rogue_whenever_rogue_is_valid_json(path: str, attr: str, arg: str) -> None:
    assert string_request(path, attr, [arg] if arg else []) == rogue_json(path, attr, arg)


@given(st.text(), st.text(), st.lists(st.text() | st.integers() | st.booleans(), max_size=3))
def test_anything_round_trips(path: str, attr: str, args: list[object]) -> None:
    d = json.loads(string_request(path, attr, args))
    assert list(d) == (["attr", "path", "args"] if args else ["attr", "path"])
    assert d["attr"] == attr and d["path"] == path and d.get("args", []) == args


def test_timeout_texts() -> None:
    assert timeout_text(0.15, False) == "Timeout waiting for response after 0 Seconds, server may be busy!"
    assert timeout_text(3.0, False) == "Timeout waiting for response after 3 Seconds, server may be busy!"
    assert timeout_text(2.5, True) == "Timeout waiting for response after 2 Seconds."


def test_wait_warnings_first_after_a_second_then_every_30() -> None:
    assert wait_text(0.95, 0) is None
    assert wait_text(1.0, 0) == "Timeout waiting for response after 1 seconds, server may be busy. Continuing to wait..."
    assert wait_text(5.0, 0) == "Timeout waiting for response after 5 seconds, server may be busy. Continuing to wait..."
    assert wait_text(30.9, 1) is None
    assert wait_text(31.0, 1) == "Still waiting for response after 31 seconds, server may be busy..."
    assert wait_text(60.0, 31) is None
    assert wait_text(61.0, 31) == "Still waiting for response after 61 seconds, server may be busy..."


def test_recovered_text() -> None:
    assert recovered_text(0.9) is None
    assert recovered_text(2.0) == "Received response from server after 2 seconds."


def test_bind_errors() -> None:
    assert str(bind_error("*", 0)) == "ZmqServer::ZmqServer: General Error: Failed to auto bind server on interface *."
    assert str(bind_error("10.0.0.1", 9000)) == ("ZmqServer::ZmqServer: General Error: Failed to bind server to port "
                                                 "9001 on interface 10.0.0.1. Another process may be using this port.")
