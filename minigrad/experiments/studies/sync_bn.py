"""Study ``sync-bn``: synchronized BatchNorm against the per-process small-batch problem."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from minigrad.experiments.config import RunConfig
from minigrad.experiments.statistics import Claim
from minigrad.experiments.studies.common import (
    Study,
    by,
    data_settings,
    final,
    mean_std,
    paired_cells,
    pct,
    per_seed,
    run_configs,
    seeds,
    table,
)

NPROC = 4
PER_PROCESS = [2, 4]
BASE_LR = 0.05  # at a global batch of 32; lr = BASE_LR * global / 32 (linear scaling)
# (label, norm, processes): the batch per process is the row's; "one process" trains at
# the global batch (processes x per-process batch) in a single process
CONDITIONS = [
    ("local BN", "batch", NPROC),
    ("SyncBN", "syncbatch", NPROC),
    ("BN, one process at the global batch", "batch", 1),
    ("GroupNorm", "group", NPROC),
]


def run_in_processes(config, run_dir, progress) -> dict:
    """Train ``config`` in ``config.tags['nproc']`` processes (``mpiexec``, through
    ``minigrad train``) and return its result (one process: in this process)."""
    from minigrad.experiments.runner import train

    nproc = int(config.tags.get("nproc", 1))
    if nproc == 1:
        return train(config, out_dir=run_dir, progress=progress)
    from minigrad.experiments.parallel import find_mpiexec

    folder = Path(run_dir) if run_dir is not None else Path(tempfile.mkdtemp(prefix="syncbn-"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config.to_dict()))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "HYDRA", "MPIR"))}
    cmd = [find_mpiexec(), "-n", str(nproc), sys.executable, "-m", "minigrad", "train"]
    cmd += ["--resume", str(folder), "--progress", "none"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"{nproc} processes failed: {r.stderr.strip()[-500:]}")
        return json.loads((folder / "result.json").read_text())
    finally:
        if run_dir is None:
            shutil.rmtree(folder, ignore_errors=True)


class SyncBNStudy(Study):
    NAME = "sync-bn"
    TITLE = "SyncBatchNorm vs local BatchNorm at 2 and 4 samples per process"
    CLAIMS = {
        f"syncbn-beats-local-bn-at-{b}": Claim(
            text="Synchronized BatchNorm computes the statistics over all devices' samples, "
            "which removes the per-device small-batch problem of BatchNorm in data-parallel "
            "training.",
            source="Peng et al. 2018 (MegDet, arXiv 1711.07240), section 3.2; PyTorch's "
            "SyncBatchNorm documentation",
            quantity=f"test error of local BN minus SyncBN at {b} samples per process over "
            f"{NPROC} processes (points)",
            direction="greater",
            published="COCO detection mmAP: 36.8 with cross-GPU BN (batch 16 x 8 GPUs) vs "
            "35.9 with frozen BN (MegDet Table 2)",
        )
        for b in PER_PROCESS
    }

    def __init__(self):
        self.SETUP = f"""
`make_model('cnn', norm, in_shape=(1, 40), width=16, depth=2, groups=4)` (as the
`batch-size` study), trained data-parallel in {NPROC} processes through `mpiexec`
(`minigrad train --nproc {NPROC}`: every process draws the same permutation and takes its
slice of each global batch; gradients averaged by DistributedDataParallel) with
{", ".join(map(str, PER_PROCESS))} samples per process. Conditions at each per-process
batch b: {
            "; ".join(
                f"{label} ({norm}, {n} process{'es' if n > 1 else ''})"
                for label, norm, n in CONDITIONS
            )
        }: the one-process run uses the global batch
{NPROC}·b. SGD momentum 0.9, learning rate {BASE_LR}·(global batch)/32 for every
condition, 3 epochs, 5 seeds. Evaluation in eval mode with rank 0's running statistics
(local BN: those of rank 0's shards; SyncBN: the global ones).
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(model="cnn", width=4, depth=1, **data_settings(True))
            sizes, nproc = [2], 2
        else:
            base = RunConfig(model="cnn", width=16, depth=2, groups=4, epochs=3,
                             **data_settings(False))  # fmt: skip
            sizes, nproc = PER_PROCESS, NPROC
        out = []
        for b in sizes:
            for label, norm, n in CONDITIONS:
                n = nproc if n > 1 else 1
                bs = b if n > 1 else b * nproc
                for seed in seeds(quick):
                    tags = {"study": self.NAME, "nproc": n, "per_process": b, "condition": label}
                    lr = BASE_LR * b * nproc / 32
                    out.append(base.replace(norm=norm, batch_size=bs, seed=seed, lr=lr, tags=tags))
        return out

    def run(self, out: Path, quick: bool, progress, executor="serial") -> list:
        # each run is itself a multi-process job: run them one after another
        return run_configs(self.configs(quick), out, progress, run_fn=run_in_processes)

    def evidence(self, records) -> dict:
        return {
            f"syncbn-beats-local-bn-at-{b}": {
                "a": per_seed(records, per_process=b, condition="local BN"),
                "b": per_seed(records, per_process=b, condition="SyncBN"),
            }
            for b in PER_PROCESS
        }

    def analyze(self, records, out) -> str:
        sizes = sorted({r["config"]["tags"].get("per_process") for r in records} - {None})
        err = {}
        for b in sizes:
            for label, _, _ in CONDITIONS:
                rs = by(records, per_process=b, condition=label)
                m, s, k = mean_std([1 - a for a in (final(r) for r in rs) if a is not None])
                if rs:
                    err[label, b] = (m, s, k)
        labels = [c[0] for c in CONDITIONS if any((c[0], b) in err for b in sizes)]
        rows = [[lab, *(pct(*err[lab, b][:2]) if (lab, b) in err else "—" for b in sizes)]
                for lab in labels]  # fmt: skip
        lines = [
            "## Results",
            "",
            "Test error (%), mean ± std over seeds, by samples per process:",
            "",
            table(["condition", *(f"{b} per process" for b in sizes)], rows),
            "",
        ]
        held = []
        for b in sizes:
            keys = [(c[0], b) for c in CONDITIONS[:3]]
            if not all(k in err for k in keys):
                lines.append(f"- {b} per process: not every condition finished.")
                continue
            (lm, ls, _), (sm, ss, _), (om, os_, _) = (err[k] for k in keys)
            spread = max(ls, ss, os_, 0.005)
            close = abs(sm - om) <= spread
            worse = lm - sm > spread
            held.append(close and worse)
            d = paired_cells(
                per_seed(records, per_process=b, condition="SyncBN"),
                per_seed(records, per_process=b, condition=CONDITIONS[2][0]),
            )
            lines.append(
                f"- {b} per process: local BN {pct(lm)}%, SyncBN {pct(sm)}%, one process at "
                f"the global batch {pct(om)}%; SyncBN minus the one-process BN, paired by "
                f"seed: {d} points (mean [95% CI])."
            )  # fmt: skip
        lines += [
            "",
            "SyncBN at b per process and BN in one process at the global batch see the same "
            "samples in the same order and the same statistics, so they differ only by "
            "floating-point rounding of the statistics merge (the tests check the equality).",
        ]
        return "\n".join(lines)
