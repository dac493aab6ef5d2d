import os
import sys
import types

# Make the repo root importable so pure-engine tests can run without Odoo.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# vip_loyalty/__init__.py is the Odoo addon entry point (it imports models, hence odoo).
# The pure tier only needs vip_loyalty.engine, so register the package by path without
# executing that __init__; vip_loyalty.engine and its submodules then import normally.
if "vip_loyalty" not in sys.modules:
    _pkg = types.ModuleType("vip_loyalty")
    _pkg.__path__ = [os.path.join(ROOT, "vip_loyalty")]
    _pkg.__file__ = None
    sys.modules["vip_loyalty"] = _pkg

# The machines that run these share two cores with Odoo and Chromium: a wall-clock deadline per
# example would fail on load, not on behaviour.
from hypothesis import settings  # noqa: E402

settings.register_profile("shared_machine", deadline=None)
settings.load_profile("shared_machine")
