"""Run one HiGHS solve in a child process: ``python -m xuewei.planning.zones.child``.

The parent (:func:`~xuewei.planning.zones.exact.solve_exact`) writes the pickled
arguments of :func:`~xuewei.planning.siting.highs.solve_highs` and the deadline (wall clock)
to the child's stdin and
reads the pickled answer (or the error raised) from its stdout; it ends the child when the
time limit is over. HiGHS's own chatter cannot reach the answer: the child's C-level stdout
is sent to stderr while it solves.
"""

from __future__ import annotations

import os
import pickle
import sys
import time

from xuewei.planning.siting.highs import solve_highs

__all__ = ["main"]


def main() -> None:
    """Read the arguments from stdin, solve, write the answer to stdout."""
    args, kwargs, deadline = pickle.load(sys.stdin.buffer)
    kwargs["time_limit_s"] = max(deadline - time.time(), 0.01)  # imports took their share
    out = os.dup(1)
    os.dup2(2, 1)
    try:
        answer: object = solve_highs(*args, **kwargs)
    except Exception as err:  # handed to the parent, raised there
        answer = err
    with os.fdopen(out, "wb") as f:
        pickle.dump(answer, f)


if __name__ == "__main__":
    main()
