"""Peak memory of one correlation, in a process of its own: ``python peer_memory.py
STORM.pickle desklib|peer|frame`` loads the pickled ``(topology, frame)``, correlates it
once with desklib (records made lazily, the first 25 read, as the window explorer does)
or with the pandas + scipy peer (``frame``: load only, the floor), and prints the
process's peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, MB)."""
from __future__ import annotations

import pickle
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(path: str, which: str) -> None:
    import pandas  # noqa: F401  (imported before the storm in every case)
    import scipy.sparse.csgraph  # noqa: F401
    from desklib import aiops
    from peer_correlate import correlate_peer
    with open(path, "rb") as f:
        topology, frame = pickle.load(f)
    if which == "desklib":
        result = aiops.correlate(frame, topology, runbooks=aiops.Runbooks())
        result.incidents[:25]
    elif which == "peer":
        correlate_peer(frame, topology, aiops.DEFAULT_WINDOW_S)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    main(*sys.argv[1:])
