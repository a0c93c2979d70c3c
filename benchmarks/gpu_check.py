"""One command that checks minigrad on a CUDA GPU, with one summary at the end.

    python benchmarks/gpu_check.py            # on a machine with a GPU and CuPy

1. the cuda half of the test suite (``pytest --devices=cuda``);
2. the CuPy kernels of the normalization core (forward and backward of every norm, float32
   and float64) against the NumPy path on the same data;
3. a training step of workload W2 (the small CNN) at batch 1024, and the norm layers of
   workload W3, timed on the GPU against PyTorch on the same GPU when PyTorch with CUDA is
   installed (the goal: W2 within 2x of PyTorch's eager step).

It stops starting new parts after ``--budget`` seconds (default 480: 8 minutes). Exit
status: 0 when everything ran passed (or there is no GPU: it says so in one line), 1 when
something failed, 2 for a usage error.

Without a GPU, ``--cupy-twin`` runs the same parts on the CPU with the tests' CuPy stand-in
(``tests/cupy_twin``): a check of this script and of the CuPy code paths, whose timings mean
nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TESTS = os.path.join(ROOT, "tests")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budget", type=float, default=480.0, help="seconds (default 480)")
    p.add_argument("--skip-tests", action="store_true", help="skip the test suite part")
    p.add_argument("--quick", action="store_true", help="small batches, few repeats")
    p.add_argument(
        "--cupy-twin", action="store_true", help="no GPU: run on the CPU with the CuPy twin"
    )
    return p.parse_args(argv)


def gpu_status():
    """``(available, description)`` of the CUDA GPU minigrad would use."""
    import minigrad

    try:
        import cupy
    except ImportError:
        return False, 'no CUDA GPU: CuPy is not installed (pip install "minigrad-lab[cuda12]")'
    if not minigrad.cuda.is_available():
        return False, "no CUDA GPU: CuPy is installed but no GPU is usable"
    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    version = getattr(cupy, "__version__", None)
    return True, name if version is None else f"{name}, CuPy {version}"


# ----------------------------------------------------------------------- 1. tests
def run_tests(twin, timeout):
    """The cuda half of the suite in a subprocess: ``(passed, failed, skipped, seconds)``."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = os.path.join(tmp, "junit.xml")
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--devices=cuda",
               "-o", "addopts=--strict-markers", f"--junitxml={xml}", TESTS]  # fmt: skip
        if twin:
            cmd.insert(4, "--cupy-twin")
        t0 = time.perf_counter()
        try:
            r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, f"timed out after {timeout:.0f} s"
        dt = time.perf_counter() - t0
        if not os.path.exists(xml):
            return None, (r.stdout + r.stderr).strip().splitlines()[-1:]
        s = ET.parse(xml).getroot()
        s = s if s.tag == "testsuite" else s.find("testsuite")
        n, f, e, sk = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
        failed = [
            f"{c.get('classname')}::{c.get('name')}"
            for c in s.iter("testcase")
            if c.find("failure") is not None or c.find("error") is not None
        ]
        return (n - f - e - sk, f + e, sk, dt), failed


# ----------------------------------------------------------------------- 2. kernels
def norm_cases(F):
    return [
        ("batch_norm", lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (8, 6, 5, 5), 6),
        ("layer_norm", lambda x, w, b: F.layer_norm(x, (6, 5, 5), w, b), (8, 6, 5, 5), (6, 5, 5)),
        ("group_norm", lambda x, w, b: F.group_norm(x, 3, w, b), (8, 6, 5, 5), 6),
        ("instance_norm", lambda x, w, b: F.instance_norm(x, None, None, w, b), (8, 6, 5, 5), 6),
        ("rms_norm", lambda x, w, b: F.rms_norm(x, (6, 5, 5), w), (8, 6, 5, 5), (6, 5, 5)),
        ("batch_norm_1d", lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (64, 40), 40),
    ]  # fmt: skip


def compare_kernels():
    """Every norm, forward and backward, on cuda (CuPy kernels) and on the CPU (NumPy
    path): ``[(name, dtype, worst relative error, ok)]``."""
    import numpy as np

    import minigrad
    import minigrad.nn.functional as F

    out = []
    for dtype, tol in (("float32", 1e-4), ("float64", 1e-10)):
        for name, fn, shape, k in norm_cases(F):
            rng = np.random.default_rng(0)
            arrays = [
                (rng.standard_normal(shape) * 2 + 1).astype(dtype),
                rng.standard_normal(k).astype(dtype),
                rng.standard_normal(k).astype(dtype),
                rng.standard_normal(shape).astype(dtype),
            ]
            res = {}
            for dev in ("cpu", "cuda"):
                with minigrad.jit.enabled_as(False):
                    x, w, b, gy = (minigrad.tensor(a, device=dev) for a in arrays)
                    for t in (x, w, b):
                        t.requires_grad_(True)
                    y = fn(x, w, b)
                    y.backward(gy)
                    res[dev] = [
                        t.detach().cpu().numpy().astype(np.float64)
                        for t in (y, x.grad, w.grad, b.grad)
                        if t is not None
                    ]
            worst = max(
                float(np.max(np.abs(g - c)) / (np.max(np.abs(c)) + 1e-30))
                for g, c in zip(res["cuda"], res["cpu"])
            )
            out.append((name, dtype, worst, worst <= tol))
    return out


# ----------------------------------------------------------------------- 3. timing
def time_step(step, sync, repeat, warmup=3):
    """Median seconds per call of ``step`` (``sync`` waits for the device)."""
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def timings(batch, repeat):
    """``[(row, minigrad seconds, torch seconds or None, note)]`` for W2 at ``batch`` and
    the W3 layers, on cuda."""
    sys.path.insert(0, HERE)
    import workloads

    import minigrad

    nn, F, optim = workloads._mg_modules(minigrad)
    mg_sync = minigrad.cuda.synchronize
    try:
        import torch

        torch_cuda = torch.cuda.is_available()
        why = "" if torch_cuda else "PyTorch has no CUDA here"
    except ImportError:
        torch, torch_cuda, why = None, False, "PyTorch is not installed"
    rows = []
    shape = (batch, 1, 28, 28)
    mg = workloads._build_train(
        minigrad, nn, F, optim, workloads._cnn, shape, "cuda",
        lambda a: minigrad.tensor(a, device="cuda"),
    )  # fmt: skip
    t_mg = time_step(mg.step, mg_sync, repeat)
    t_torch = None
    if torch_cuda:
        tw = workloads._build_train(
            torch, torch.nn, torch.nn.functional, torch.optim, workloads._cnn, shape, "cuda",
            lambda a: torch.from_numpy(a).to("cuda"),
        )  # fmt: skip
        t_torch = time_step(tw.step, torch.cuda.synchronize, repeat)
    rows.append((f"W2 CNN train step (b={batch})", t_mg, t_torch, why))
    for name in workloads.W3_LAYERS:
        w = workloads.w3_minigrad(minigrad, "cuda", name)
        t_mg = time_step(w.step, mg_sync, repeat)
        t_torch = None
        if torch_cuda:
            w_t = workloads.w3_torch(torch, "cuda", name)
            t_torch = time_step(w_t.step, torch.cuda.synchronize, repeat)
        rows.append((f"W3 {name} fwd+bwd", t_mg, t_torch, why))
    return rows


# ----------------------------------------------------------------------- main
def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    if args.cupy_twin:
        sys.path.insert(0, TESTS)
        import cupy_twin

        cupy_twin.install()
    ok, desc = gpu_status()
    if not ok:
        print(f"gpu_check: {desc}; nothing checked (everything skipped).")
        return 0
    import minigrad

    twin = " (CuPy twin on the CPU: timings mean nothing)" if args.cupy_twin else ""
    lines = [f"gpu_check: {desc}, minigrad {minigrad.__version__}{twin}"]
    failures = 0

    def left():
        return args.budget - (time.perf_counter() - start)

    if args.skip_tests:
        lines.append("tests (cuda half): skipped (--skip-tests)")
    else:
        counts, failed = run_tests(args.cupy_twin, timeout=max(30.0, left() - 120))
        if counts is None:
            lines.append(f"tests (cuda half): did not finish: {failed}")
            failures += 1
        else:
            p, f, s, dt = counts
            lines.append(f"tests (cuda half): {p} passed, {f} failed, {s} skipped in {dt:.0f} s")
            lines += [f"  FAILED {name}" for name in failed[:20]]
            failures += f
    try:
        ks = compare_kernels()
        bad = [k for k in ks if not k[3]]
        worst = max(ks, key=lambda k: k[2])
        lines.append(
            f"CuPy norm kernels vs NumPy: {len(ks) - len(bad)}/{len(ks)} within tolerance "
            f"(worst relative error {worst[2]:.1e}: {worst[0]} {worst[1]})"
        )
        lines += [f"  FAILED {n} {d}: relative error {e:.1e}" for n, d, e, _ in bad]
        failures += len(bad)
    except Exception as e:  # report and go on: the summary is the point
        lines.append(f"CuPy norm kernels vs NumPy: error {type(e).__name__}: {e}")
        failures += 1
    if left() < 30:
        lines.append(f"timings: skipped (budget of {args.budget:.0f} s spent)")
    else:
        batch, repeat = (64, 2) if args.quick else (1024, 10)
        try:
            for row, t_mg, t_torch, why in timings(batch, repeat):
                if t_torch is None:
                    lines.append(f"{row}: minigrad {1e3 * t_mg:.2f} ms; PyTorch CUDA: {why}")
                else:
                    lines.append(
                        f"{row}: minigrad {1e3 * t_mg:.2f} ms, PyTorch {1e3 * t_torch:.2f} ms: "
                        f"{t_mg / t_torch:.2f}x"
                    )
        except Exception as e:
            lines.append(f"timings: error {type(e).__name__}: {e}")
            failures += 1
    total = time.perf_counter() - start
    verdict = "FAIL" if failures else "PASS"
    lines.append(f"overall: {verdict} ({failures} failures) in {total:.0f} s")
    print("\n".join(lines))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
