"""Rogue's data files (``import rogue.utilities.fileio``).

:class:`StreamWriter` (with its :class:`StreamWriterChannel` slaves) records
frames, :class:`StreamReader` replays a file as frames, byte-compatible with C++
Rogue 6.15. :class:`FileReader` is pyrogue's reader (``records()``,
``configDict``, headers as pyrogue gives them: ``size`` is the payload),
memory-mapped and with a vectorised :class:`RecordIndex`.
"""

from __future__ import annotations

from rogue import _exports

from ._batch import BatchHeader
from ._format import HEADER_SIZE, RecordIndex, RogueHeader, ScanProblem, decode_header, encode_header, scan, scan_chunks
from .file_reader import FileReader, FileReaderException
from .stream_reader import StreamReader
from .stream_writer import StreamWriter, StreamWriterChannel

__all__ = ["HEADER_SIZE", "BatchHeader", "FileReader", "FileReaderException", "RecordIndex", "RogueHeader", "ScanProblem",
           "StreamReader", "StreamWriter", "StreamWriterChannel", "decode_header", "encode_header", "scan",
           "scan_chunks"]

_exports.publish(__name__, globals())  # every class above reports this module, as in C++ Rogue
