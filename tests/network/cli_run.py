"""Run ``python -m rogue.cli ARGS`` inside a namespace (``netbed.run`` starts scripts from this directory)."""

import runpy
import sys

sys.argv = ["rogue-bridge", *sys.argv[2:]] if sys.argv[1:2] == ["rogue.cli"] else ["rogue-bridge", *sys.argv[1:]]
runpy.run_module("rogue.cli", run_name="__main__")
