"""Pausing Python's cycle collector while a batch of small, acyclic objects is built."""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused():
    """Pause Python's cycle collector while we build many small objects.

    Triage results and incident records form no reference cycles, so reference
    counting frees them all; the cycle collector would only re-scan every live object
    (in a notebook: everything pandas, matplotlib and the widgets hold) again and again
    as the batch grows -- on a million alerts that doubled the run time, on 100,000
    tickets with the notebook's libraries loaded it cost about a tenth. Re-enabled, it would at once scan everything
    made meanwhile as "young" objects, so ``gc.freeze(); gc.unfreeze()`` first moves
    them, unscanned, to the oldest generation, which full collections scan anyway
    (skipped if the program froze objects itself).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()
