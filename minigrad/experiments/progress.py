"""Progress display: a tqdm bar on a terminal when tqdm is installed, plain lines otherwise."""

from __future__ import annotations

import sys
import time

__all__ = ["ProgressBar", "has_tqdm", "resolve_mode"]


def has_tqdm() -> bool:
    """Whether the optional ``tqdm`` package can be imported."""
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_mode(mode="auto", stream=None) -> str:
    """The concrete display of a progress ``mode``: ``'bar'``, ``'plain'`` or ``'none'``.

    ``auto`` (or ``True``) is a tqdm bar when tqdm is installed and ``stream`` (default
    ``sys.stderr``) is a terminal, plain lines otherwise (a log file gets no bar redraws).

    Examples
    --------
    >>> import io
    >>> resolve_mode("auto", stream=io.StringIO())
    'plain'
    >>> resolve_mode(False)
    'none'
    """
    if mode is True:
        mode = "auto"
    if mode is False or mode is None:
        mode = "none"
    if mode == "auto":
        stream = stream if stream is not None else sys.stderr
        try:
            tty = bool(stream.isatty())
        except (AttributeError, ValueError):
            tty = False
        mode = "bar" if tty and has_tqdm() else "plain"
    if mode not in ("bar", "plain", "none"):
        raise ValueError(f"progress mode must be auto, bar, plain or none, got {mode!r}")
    return mode


class ProgressBar:
    """Steps of one run, showing loss, accuracy and steps per second.

    Parameters
    ----------
    total : int
        Number of steps.
    desc : str
        Label (the run id).
    mode : {'auto', 'bar', 'plain', 'none'} or bool
        ``auto`` uses a tqdm bar when tqdm is installed and the stream is a terminal,
        plain lines otherwise; ``True`` is ``auto`` and ``False`` is ``none``.
    stream : file, optional
        Where plain lines go (default ``sys.stderr``).

    Examples
    --------
    >>> import io
    >>> s = io.StringIO()
    >>> bar = ProgressBar(2, "demo", mode="plain", stream=s)
    >>> bar.update(0.5, 1.0); bar.epoch({"epoch": 1, "test_acc": 0.9}); bar.close()
    >>> "epoch 1" in s.getvalue()
    True
    """

    def __init__(self, total: int, desc: str = "", mode="auto", stream=None):
        self.stream = stream if stream is not None else sys.stderr
        mode = resolve_mode(mode, self.stream)
        self.mode, self.desc, self.total = mode, desc, total
        self.count, self.t0 = 0, time.perf_counter()
        self._bar = None
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, desc=desc, leave=False, dynamic_ncols=True, file=self.stream
            )

    def update(self, loss: float, acc: float) -> None:
        """Advance one step."""
        self.count += 1
        if self._bar is not None:
            self._bar.update(1)
            if self.count % 10 == 0 or self.count == self.total:
                rate = self.count / max(time.perf_counter() - self.t0, 1e-9)
                self._bar.set_postfix(loss=f"{loss:.4f}", acc=f"{acc:.3f}", steps_s=f"{rate:.1f}")

    def epoch(self, row: dict) -> None:
        """Report the end of an epoch (plain mode prints one line)."""
        if self.mode != "plain":
            return
        parts = [f"{self.desc} epoch {row.get('epoch')}"]
        for key in ("train_loss", "train_acc", "test_loss", "test_acc", "steps_per_s"):
            value = row.get(key)
            if isinstance(value, float):
                parts.append(f"{key}={value:.4f}")
        print(" ".join(parts), file=self.stream, flush=True)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
