"""A pool thread's short busy-wait, compiled (Numba): :mod:`minigrad.jit`'s pool threads
spin here for a moment after their last job, without the GIL, before they sleep.

Waking a sleeping thread costs 20-80 us on a small VM (the OS has to schedule it on a core
that may have gone idle); a thread that is still spinning sees the next job in well under a
microsecond. Split kernels come in bursts (a normalization's forward, then its backward a
fraction of a millisecond later), so a short spin turns most hand-offs into the fast kind.
The spin is bounded (:data:`minigrad.jit.SPIN_US`), holds no lock, and happens only while
the machine has a core to spare (:func:`minigrad.jit._cores_free`).
"""

from __future__ import annotations

import numba
from numba import types
from numba.extending import intrinsic

__all__ = []  # internal


@intrinsic
def _load_acquire(typingctx, seq):
    """``seq[0]`` read with an atomic (acquire) load: the compiler may not hoist it out of
    the loop, and the submitting thread's store is seen as soon as it is made."""
    sig = types.int64(seq)

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        return builder.load_atomic(ary.data, "acquire", 8)

    return sig, codegen


@numba.njit(nogil=True, cache=True)
def spin(seq, old, iters, after):
    """Loop up to ``iters`` times until ``seq[0] != old`` (``seq``: a 1-element int64
    array), then ``after`` times more; returns the number of loops done before the change
    (``iters`` when it did not change). The loops after the change give the submitting
    thread time to enter its own piece of the job and let go of the GIL, which this
    thread needs next: asking for it while the GIL is held puts a thread to sleep until
    it is free, and a wake is what the spin is there to avoid."""
    for i in range(iters):
        if _load_acquire(seq) != old:
            for _ in range(after):
                if _load_acquire(seq) == old:  # (never: keeps the loop)
                    return i
            return i
    return iters
