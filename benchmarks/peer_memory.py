"""Peak memory of one correlation, in a process of its own: ``python peer_memory.py
STORM.pickle desklib|peer`` loads the pickled ``(topology, frame)``, then correlates it
once with desklib (``hops=1``, the peer's semantics; records made lazily, the first 25 read)
or with the pandas + scipy peer, and prints the peak of the memory allocated while it
ran, above the loaded DataFrame (``tracemalloc``, which sees numpy's and pandas' arrays
as well as Python objects), in MB. The process's ``ru_maxrss`` is no use here: loading
the pickled DataFrame peaks higher than either correlation."""
from __future__ import annotations

import pickle
import sys
import tracemalloc
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
    tracemalloc.start()
    if which == "desklib":
        result = aiops.correlate(frame, topology, runbooks=aiops.Runbooks(), hops=1)   # the peer's semantics
        result.incidents[:25]
    elif which == "peer":
        correlate_peer(frame, topology, aiops.DEFAULT_WINDOW_S)
    print(tracemalloc.get_traced_memory()[1] / 2 ** 20)


if __name__ == "__main__":
    main(*sys.argv[1:])
