"""Time minigrad and PyTorch side by side on the tracked workloads, with the hardware floor.

Usage::

    python benchmarks/run.py [--workloads W1,W2,W3,W4,W5,RSS] [--repeat N] [--json out.json]
                             [--device cpu|cuda] [--threads 2] [--no-torch] [--no-jit]

Both frameworks run in this one process on the same data, float32. On the CPU the
BLAS of NumPy, minigrad's one thread pool (``MINIGRAD_NUM_THREADS``, shared by the
compiled kernels and the NumPy norm tiles) and PyTorch's intra-op pool
are pinned to ``--threads`` (default 2):
the thread environment variables are set here *before* NumPy is imported, and
threadpoolctl (when installed) enforces the limit as well. Each row reports the median
over ``--repeat`` measurements, taken after warm-up, of the time of one step; each
measurement runs enough steps to last about ``--min-time`` seconds.

The hardware floor is measured in the same run: float32 matmul GFLOP/s (BLAS) and
memory copy bandwidth in GB/s (bytes read + bytes written, of a 64 MiB array copy).

``--device cuda`` times minigrad on CuPy (synchronizing before the clock is read);
PyTorch is timed on CUDA too when its build has CUDA, else reported unavailable.

The ``RSS`` row is memory, not time: the peak resident set size of a fresh Python process
that imports one framework (nothing else of the two), builds W2 and runs
:data:`RSS_STEPS` training steps, imports included; one such process per framework, in
turn, with the same thread settings, ``--device`` and ``--no-jit``. The child reports its
own peak, in MB (2**20 bytes): on Linux the kernel's ``VmHWM`` of the process (its
``ru_maxrss`` would start from the parent's peak, inherited at the fork), elsewhere
``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time

_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "MINIGRAD_NUM_THREADS",  # minigrad's one thread pool (compiled kernels, NumPy norm tiles)
    "NUMBA_NUM_THREADS",
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--workloads",
        default="W1,W2,W3,W4,W5,RSS",
        help="comma-separated subset (RSS: the peak memory of a process running W2)",
    )
    p.add_argument("--repeat", type=int, default=7, help="measurements per row (median)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per measurement")
    p.add_argument("--json", default=None, help="also write the results to this file")
    p.add_argument("--device", default="cpu", help="cpu or cuda[:n] (minigrad's device)")
    p.add_argument("--threads", type=int, default=2, help="CPU threads for BLAS and torch")
    p.add_argument(
        "--no-jit",
        action="store_true",
        help="time minigrad's NumPy path even when Numba is installed (MINIGRAD_JIT=0)",
    )
    p.add_argument("--no-torch", action="store_true", help="time minigrad only")
    p.add_argument(
        "--settle",
        type=float,
        default=0.3,
        help="seconds of idle before each sample when switching framework, so the other "
        "one's spin-waiting BLAS/OpenMP threads stop competing (0: switch at once)",
    )
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: perf_counter (the default, what a user waits); cpu: process CPU time, "
        "steadier for single-threaded rows (W4) on a shared machine, but it adds up the "
        "time of all threads and misses GPU time",
    )
    args = p.parse_args(argv)
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    bad = set(args.workloads) - {"W1", "W2", "W3", "W4", "W5", "RSS"}
    if bad:
        p.error(f"unknown workloads {sorted(bad)}: choose from W1,W2,W3,W4,W5,RSS")
    return args


def pin_threads(n: int) -> None:
    """Pin BLAS/OpenMP thread pools to ``n`` threads; call before importing NumPy."""
    if "numpy" in sys.modules:
        print("warning: numpy was imported before the thread limit was set", file=sys.stderr)
    for var in _THREAD_VARS:
        os.environ[var] = str(n)


# ----------------------------------------------------------------------- timing
_CLOCK = time.perf_counter


def time_step(step, sync=None, repeat=7, warmup=3, min_time=0.2):
    """Median seconds per call of ``step`` over ``repeat`` measurements (after warm-up);
    also returns all per-step times."""
    clock = _CLOCK

    def run(n):
        t0 = clock()
        for _ in range(n):
            step()
        if sync is not None:
            sync()
        return clock() - t0

    for _ in range(warmup):
        step()
    if sync is not None:
        sync()
    once = max(run(1), 1e-7)
    number = max(1, int(min_time / once))
    samples = [run(number) / number for _ in range(repeat)]
    return statistics.median(samples), samples


def hardware_floor(xp, sync=None, repeat=5):
    """Float32 matmul GFLOP/s and copy bandwidth GB/s, measured now with array module
    ``xp`` (NumPy on the CPU, CuPy on a GPU; ``sync`` waits for the GPU)."""
    n = 1024
    a = xp.asarray(_np_rng().standard_normal((n, n), dtype="float32"))
    b = xp.asarray(_np_rng().standard_normal((n, n), dtype="float32"))
    out = xp.empty_like(a)
    t, _ = time_step(lambda: xp.matmul(a, b, out=out), sync, repeat, warmup=1, min_time=0.2)
    gflops = 2 * n**3 / t / 1e9
    src = xp.ones(16 * 2**20, dtype="float32")  # 64 MiB, beyond the caches
    dst = xp.empty_like(src)
    t, _ = time_step(lambda: xp.copyto(dst, src), sync, repeat, warmup=1, min_time=0.2)
    gbs = 2 * src.nbytes / t / 1e9  # read + write
    return {"matmul_f32_gflops": gflops, "copy_gbs": gbs}


def _np_rng():
    import numpy

    return numpy.random.default_rng(0)


# ----------------------------------------------------------------------- peak RSS
RSS_STEPS = 5
"""Training steps of W2 the child process of the ``RSS`` row runs before reporting."""

RSS_NAME = "RSS peak of a W2 process (MB)"

# The child: import ONE framework, build W2, run the steps, print the peak RSS in bytes.
_RSS_CHILD = """
import resource, sys
bench, lib, dev = sys.argv[1:4]
threads, steps = int(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, bench)
import workloads
if lib == "minigrad":
    import minigrad
    minigrad.manual_seed(0)
    w = workloads.w2_minigrad(minigrad, minigrad.device(dev))
    sync = minigrad.cuda.synchronize if dev.startswith("cuda") else None
else:
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    w = workloads.w2_torch(torch, dev)
    sync = torch.cuda.synchronize if dev.startswith("cuda") else None
for _ in range(steps):
    w.step()
if sync is not None:
    sync()
try:  # Linux: this process's high-water mark (ru_maxrss would include the parent's, at fork)
    with open("/proc/self/status") as f:
        peak = next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak *= 1 if sys.platform == "darwin" else 1024  # (bytes on macOS, KiB elsewhere)
print(peak)
"""


def peak_rss(lib, dev, args):
    """The peak RSS (result dict with ``mb``) of a fresh process running W2 steps with
    ``lib`` ("minigrad" or "torch") on ``dev``; never raises."""
    import subprocess

    env = dict(os.environ)  # (the thread pins set by pin_threads are inherited)
    if args.no_jit:
        env["MINIGRAD_JIT"] = "0"
    bench = os.path.dirname(os.path.abspath(__file__))
    cmd = [sys.executable, "-c", _RSS_CHILD, bench, lib, str(dev), str(args.threads)]
    try:
        out = subprocess.run(
            cmd + [str(RSS_STEPS)], env=env, capture_output=True, text=True, timeout=600
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"status": "unavailable", "reason": f"{type(e).__name__}: {e}"[:120]}
    if out.returncode != 0:
        lines = (out.stderr or "").strip().splitlines() or [f"exit status {out.returncode}"]
        return {"status": "unavailable", "reason": lines[-1][:120]}
    nbytes = int(out.stdout.strip().splitlines()[-1])
    return {"status": "ok", "mb": nbytes / 2**20, "steps": RSS_STEPS}


# ----------------------------------------------------------------------- main
def _sync_for(dev_str, lib):
    if not dev_str.startswith("cuda"):
        return None
    if lib == "minigrad":
        import minigrad

        return minigrad.cuda.synchronize
    import torch

    return torch.cuda.synchronize


def _build(build, lib_mod, lib_name, dev):
    """``(workload, sync, None)`` or ``(None, None, unavailable-result)``; never raises."""
    try:
        w = build(lib_mod, dev)
        return w, (w.sync or _sync_for(str(dev), lib_name)), None
    except Exception as e:  # a missing layer, op or device: report and go on
        reason = f"{type(e).__name__}: {e}".splitlines()[0][:120]
        return None, None, {"status": "unavailable", "reason": reason}


def measure_pair(sides, args):
    """Time each side (``[(workload, sync)]``) with samples interleaved, so that a
    machine warming up or a neighbour's burst of load hits both frameworks alike.

    Every side is warmed up first; then each of ``args.repeat`` rounds takes one
    sample of every side in turn. Returns one result dict per side."""
    clock = _CLOCK
    numbers = []
    for w, sync in sides:
        for _ in range(args.warmup):
            w.step()
        if sync is not None:
            sync()
        t0 = clock()
        w.step()
        if sync is not None:
            sync()
        numbers.append(max(1, int(args.min_time / max(clock() - t0, 1e-7))))
    # What the warm-up loaded is static too: Numba and its compiled kernels (~90k objects,
    # imported on minigrad's first kernel call, after the freeze in main) and both
    # workloads' models. Freeze it as well, so that no framework's full collections rescan
    # it (see PERF_NOTES, "W4 and the GC" and the 2026-12-05 final runs).
    gc.collect()
    gc.freeze()
    samples = [[] for _ in sides]
    for _ in range(args.repeat):
        for k, ((w, sync), n) in enumerate(zip(sides, numbers)):
            if len(sides) > 1:
                # Let the other framework's worker threads stop spin-waiting (OpenMP
                # and OpenBLAS busy-wait for a while after each parallel region) so
                # they do not steal a core from this sample.
                time.sleep(args.settle)
            t0 = clock()
            for _ in range(n):
                w.step()
            if sync is not None:
                sync()
            samples[k].append((clock() - t0) / n)
    results = []
    for (w, _), ss in zip(sides, samples):
        t = statistics.median(ss)
        r = {"status": "ok", "ms": t * 1e3, "samples_ms": [s * 1e3 for s in ss]}
        if w.ops_per_step:
            r["us_per_op"] = t * 1e6 / w.ops_per_step
        if w.bytes_per_step:
            r["effective_gbs"] = w.bytes_per_step / t / 1e9
        results.append(r)
    return results


def _fmt(r, key="ms", digits=3):
    if r is None:
        return "-"
    if r["status"] != "ok":
        return "unavailable"
    return f"{r[key]:.{digits}g}" if key in r else "-"


def print_table(rows, floor, header):
    print(header)
    print(
        f"hardware floor: matmul float32 {floor['matmul_f32_gflops']:.1f} GFLOP/s, "
        f"copy {floor['copy_gbs']:.1f} GB/s (read+write)"
    )
    cols = ["workload", "minigrad ms", "torch ms", "ratio", "minigrad extra", "torch extra"]
    table = []
    for row in rows:
        m, t = row["minigrad"], row["torch"]
        key = row.get("unit", "ms")  # "mb" for the RSS row
        ratio = "-"
        if m["status"] == "ok" and t is not None and t["status"] == "ok":
            ratio = f"{m[key] / t[key]:.2f}x"
        extra = []
        for r in (m, t):
            if r is not None and r["status"] == "ok" and "us_per_op" in r:
                extra.append(f"{r['us_per_op']:.2f} us/op")
            elif r is not None and r["status"] == "ok" and "effective_gbs" in r:
                extra.append(f"{r['effective_gbs']:.1f} GB/s")
            else:
                extra.append("")
        table.append([row["name"], _fmt(m, key), _fmt(t, key), ratio, *extra])
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *table)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths))
    print(line)
    print("-" * len(line))
    for r in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    for row in rows:
        for lib in ("minigrad", "torch"):
            r = row[lib]
            if r is not None and r["status"] != "ok":
                print(f"  {row['name']} [{lib}] unavailable: {r['reason']}")


def _cpu_kernels(minigrad):
    """Which CPU code path minigrad ran: its compiled kernels (with Numba's version) or
    NumPy alone."""
    if minigrad.jit.enabled():
        import numba

        return f"CPU kernels: numba {numba.__version__}"
    return "CPU kernels: NumPy only"


def main(argv=None):
    global _CLOCK
    args = parse_args(argv)
    on_cpu = args.device == "cpu"
    _CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    pin_threads(args.threads)
    if args.no_jit:
        os.environ["MINIGRAD_JIT"] = "0"
    import numpy as np

    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:
        pass
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import workloads

    import minigrad

    mg_dev = minigrad.device(args.device)
    torch = None
    torch_dev = None
    torch_note = "not timed (--no-torch)"
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(args.threads)
            if on_cpu:
                torch_dev = "cpu"
            elif torch.cuda.is_available():
                torch_dev = args.device
            else:
                torch_note = "this PyTorch build has no CUDA"
                torch = None
        except ImportError:
            torch_note = "PyTorch is not installed"
    # Everything imported so far (torch alone is ~10^5 objects) is static: move it out
    # of the cyclic GC's reach, so a full collection triggered by minigrad's short-lived
    # graph objects does not rescan torch's heap (see PERF_NOTES, "W4 and the GC").
    gc.collect()
    gc.freeze()
    if on_cpu:
        floor = hardware_floor(np)
    else:
        try:
            with mg_dev:
                floor = hardware_floor(mg_dev.xp, minigrad.cuda.synchronize)
        except Exception as e:
            print(f"warning: no GPU floor ({e}); measuring the CPU", file=sys.stderr)
            floor = hardware_floor(np)
    rows = []
    for wid, name, mg_build, torch_build in workloads.registry():
        if wid not in args.workloads:
            continue
        minigrad.manual_seed(0)
        row = {"id": wid, "name": name}
        mw, msync, row["minigrad"] = _build(mg_build, minigrad, "minigrad", mg_dev)
        tw = tsync = None
        if torch is not None:
            torch.manual_seed(0)
            tw, tsync, row["torch"] = _build(torch_build, torch, "torch", torch_dev)
        else:
            row["torch"] = {"status": "unavailable", "reason": torch_note}
        sides = [(k, w, sync) for k, w, sync in (("minigrad", mw, msync), ("torch", tw, tsync))]
        sides = [s for s in sides if s[1] is not None]
        for (k, _, _), r in zip(sides, measure_pair([(w, s) for _, w, s in sides], args)):
            row[k] = r
        rows.append(row)
        print(f"  done: {name}", file=sys.stderr, flush=True)
    if "RSS" in args.workloads:
        row = {"id": "RSS", "name": RSS_NAME, "unit": "mb"}
        row["minigrad"] = peak_rss("minigrad", args.device, args)
        if torch is not None:
            row["torch"] = peak_rss("torch", torch_dev, args)
        else:
            row["torch"] = {"status": "unavailable", "reason": torch_note}
        rows.append(row)
        print(f"  done: {RSS_NAME}", file=sys.stderr, flush=True)
    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "minigrad": minigrad.__version__,
        "torch": getattr(torch, "__version__", None),
        "device": args.device,
        "threads": args.threads,
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "repeat": args.repeat,
        "clock": args.clock,
        "loadavg_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "minigrad_cpu_kernels": _cpu_kernels(minigrad),
    }
    header = (
        f"minigrad {info['minigrad']} ({info['minigrad_cpu_kernels']}) vs torch "
        f"{info['torch']} on {args.device}, {args.threads} threads, median of "
        f"{args.repeat}, {args.clock} clock"
    )
    print_table(rows, floor, header)
    load = info["loadavg_1min"]
    if load is not None and load > (os.cpu_count() or 1):
        print(
            f"warning: load average {load:.1f} exceeds the {os.cpu_count()} CPUs: other "
            "processes share the machine, so these times (BLAS above all) are not reliable"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "floor": floor, "rows": rows}, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
