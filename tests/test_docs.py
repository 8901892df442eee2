"""The format documents in docs/ are the specification's, word for word."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SPEC, shared_or_skip

_REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["wire.md", "srpv3.md", "utilities.md", "zmq_server.md"])
def test_docs_copy_equals_the_spec(name: str) -> None:
    ours = _REPO / "docs" / name
    assert ours.is_file(), f"docs/{name} is missing"
    assert ours.read_text() == shared_or_skip(SPEC / name).read_text()


def test_docstrings_cite_documents_that_exist() -> None:
    import re

    cited = set()
    for path in (_REPO / "src").rglob("*.py"):
        cited.update(re.findall(r"docs/([\w.-]+\.md)", path.read_text()))
    assert cited, "no docstring cites docs/"
    missing = sorted(n for n in cited if not (_REPO / "docs" / n).is_file())
    assert not missing, missing
