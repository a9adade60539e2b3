"""pygal, imported with its legacy import hook removed before anything else is imported after it.

pygal registers a meta-path finder (for its ``pygal.maps`` plugins, unused here) that lacks
``find_spec``, so every later import in the process emits an ImportWarning (an error in the suite).
Dropping it here, right after ``import pygal``, keeps imports that follow clean whatever imported first.
"""

from __future__ import annotations

import sys

import pygal
from pygal.style import Style

sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

__all__ = ["Style", "pygal"]
