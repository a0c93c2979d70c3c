"""Study ``adaptive-bn``: train on clean inputs, test on shifted ones; BatchNorm with its
training statistics, BatchNorm with statistics recomputed on the shifted inputs (AdaBN),
LayerNorm, GroupNorm and no norm."""

from __future__ import annotations

import numpy as np

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.grid import expand_grid
from minigrad.experiments.runner import train
from minigrad.experiments.statistics import Claim
from minigrad.experiments.studies.common import (
    Study,
    by,
    data_settings,
    mean_std,
    paired_cells,
    per_seed,
    run_configs,
    seeds,
    table,
)

NORMS = ["batch", "layer", "group", "none"]
#: name -> what it does to a standardized test input (N, C, L) or (N, C, H, W)
SHIFTS = {
    "contrast": "x * 0.5",
    "brightness": "x + 1.0",
    "noise": "x + N(0, 0.5^2) (fixed noise, seed 0)",
    "translation": "circular shift by 8 positions along the last axis",
}
ADAPT_BATCH = 128
EPOCHS = 10
LI = (
    "Li et al. 2016 (Revisiting Batch Normalization For Practical Domain Adaptation, AdaBN, "
    "arXiv 1603.04779), sections 3-4"
)


def shift(x: np.ndarray, name: str) -> np.ndarray:
    """The test inputs under one of :data:`SHIFTS` (``clean``: unchanged).

    Examples
    --------
    >>> x = np.zeros((2, 1, 4), dtype=np.float32)
    >>> shift(x, "brightness")[0, 0].tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    if name == "clean":
        return x
    if name == "contrast":
        return (x * 0.5).astype(np.float32)
    if name == "brightness":
        return (x + 1.0).astype(np.float32)
    if name == "noise":
        rng = np.random.default_rng(0)
        return (x + rng.normal(0.0, 0.5, size=x.shape)).astype(np.float32)
    if name == "translation":
        return np.roll(x, 8, axis=-1)
    raise ValueError(f"shift: unknown shift {name!r}; choose one of {', '.join(SHIFTS)}")


class ShiftProbe:
    """After training: test error (points) on every shifted test set, in eval mode; for a
    model with BatchNorm also after recomputing its statistics on the shifted inputs
    (AdaBN: unlabeled batches of the new domain), the training statistics restored
    afterwards."""

    def after_run(self, trainer, result) -> None:
        import minigrad
        from minigrad.nn.utils import recompute_batchnorm_stats

        model, data = trainer.model, trainer.data
        has_bn = any("BatchNorm" in type(m).__name__ for m in model.modules())

        def error(x):
            model.eval()
            correct = 0
            with minigrad.no_grad():
                for i in range(0, len(x), 512):
                    logits = model(trainer.tensor(x[i : i + 512])).numpy()
                    correct += int((logits.argmax(1) == data.y_test[i : i + 512]).sum())
            return 100.0 * (1 - correct / len(x))

        errs, adabn = {}, {}
        for name in ["clean", *SHIFTS]:
            xs = shift(data.x_test, name)
            errs[name] = error(xs)
            if has_bn:
                saved = {k: b._data.copy() for k, b in model.named_buffers()}
                bs = min(ADAPT_BATCH, len(xs))
                batches = [trainer.tensor(xs[i : i + bs])
                           for i in range(0, len(xs) - bs + 1, bs)]  # fmt: skip
                recompute_batchnorm_stats(model, batches)
                adabn[name] = error(xs)
                for k, b in model.named_buffers():
                    b._data = saved[k]
        result["shift_err"] = errs
        if has_bn:
            result["shift_err_adabn"] = adabn
        model.train()


def run_with_shifts(config, run_dir=None, progress="none") -> dict:
    """Train one run, then measure it on the shifted test sets (module level, so Dask
    workers import it by name)."""
    return train(config, out_dir=run_dir, progress=progress, hooks=[ShiftProbe()])


def mean_shift_err(record, key="shift_err"):
    """Mean test error (points) over the four shifts, or ``None``."""
    d = record.get(key) if record.get("status") == "ok" else None
    if not d or any(s not in d for s in SHIFTS):
        return None
    return float(np.mean([d[s] for s in SHIFTS]))


class AdaptiveBNStudy(Study):
    NAME = "adaptive-bn"
    TITLE = "shifted test inputs: BatchNorm, adaptive BatchNorm (AdaBN), LayerNorm, GroupNorm"
    CLAIMS = {
        "adabn-recovers-shift": Claim(
            text="Adaptive Batch Normalization: the statistics of the BN layers are "
            "recomputed on the target domain (without labels) while the weights stay "
            "fixed, which adapts the network to the new domain and improves its accuracy "
            "there.",
            source=LI,
            quantity="test error on shifted inputs (mean over contrast, brightness, noise "
            "and translation) of BN with its training statistics minus BN with statistics "
            "recomputed on the shifted inputs (points)",
            direction="greater",
            published="AdaBN above the source-trained BN-Inception baseline on Office-31 and "
            "Caltech-Bing (Tables 1-2)",
        ),
        "bn-handles-shift": Claim(
            text="BatchNorm makes a network handle different input distributions better: "
            "the normalization absorbs shifts and rescalings of its inputs.",
            source="The explainers this project started from (a common claim); adaptive BN "
            "(" + LI + ") is the version that adjusts its statistics to the new inputs",
            quantity="test error on shifted inputs (mean over the four shifts) without a norm "
            "minus with BN and its training statistics (points)",
            direction="greater",
        ),
    }
    SETUP = f"""
`make_model('cnn', norm, in_shape=(1, 40), width=16, depth=2, groups=4)` trained on the
clean mnist1d training set (SGD lr 0.05, momentum 0.9, batch 32, {EPOCHS} epochs, 5 seeds);
norms {", ".join(NORMS)}. Then the test set (already standardized with the training
statistics) is shifted: {"; ".join(f"{k}: {v}" for k, v in SHIFTS.items())}. Every model is
evaluated in eval mode on the clean and each shifted test set. For BN, a second evaluation
(AdaBN): `nn.utils.recompute_batchnorm_stats` on the shifted test inputs alone (unlabeled,
batches of {ADAPT_BATCH}, an exact average over the batches), then eval mode; the training
statistics are restored afterwards. LN and GN normalize each sample with its own
statistics, so they need no adaptation.
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(model="cnn", width=4, depth=1, **data_settings(True))
            grid = expand_grid(base, norm=["batch", "none"], seed=seeds(True))
        else:
            base = RunConfig(model="cnn", width=16, depth=2, groups=4, batch_size=32, lr=0.05,
                             epochs=EPOCHS, **data_settings(False))  # fmt: skip
            grid = expand_grid(base, norm=NORMS, seed=seeds(False))
        return [c.replace(tags={"study": self.NAME}) for c in grid]

    def run(self, out, quick, progress, executor="serial"):
        return run_configs(self.configs(quick), out, progress, run_fn=run_with_shifts,
                           executor=executor)  # fmt: skip

    def evidence(self, records) -> dict:
        bn = per_seed(records, mean_shift_err, norm="batch")
        return {
            "adabn-recovers-shift": {
                "a": bn,
                "b": per_seed(
                    records, lambda r: mean_shift_err(r, "shift_err_adabn"), norm="batch"
                ),  # fmt: skip
            },
            "bn-handles-shift": {"a": per_seed(records, mean_shift_err, norm="none"), "b": bn},
        }

    def _arms(self, records):
        """``label -> (records, key)`` of every evaluated arm."""
        arms = {}
        for n in NORMS:
            rs = by(records, norm=n)
            if rs:
                arms[{"batch": "BN (training stats)"}.get(n, n)] = (rs, "shift_err")
            if n == "batch" and rs:
                arms["BN + AdaBN (recomputed)"] = (rs, "shift_err_adabn")
        return arms

    def analyze(self, records, out) -> str:
        cols = ["clean", *SHIFTS]
        arms = self._arms(records)
        rows = []
        for label, (rs, key) in arms.items():
            cells = []
            for c in cols:
                m, s, k = mean_std([(r.get(key) or {}).get(c) for r in rs
                                    if r.get("status") == "ok"])  # fmt: skip
                cells.append("—" if not k else f"{m:.1f} ± {s:.1f}")
            m, s, _ = mean_std([mean_shift_err(r, key) for r in rs])
            rows.append([label, *cells, f"{m:.1f} ± {s:.1f}"])
        ref = per_seed(records, lambda r: mean_shift_err(r, "shift_err_adabn"), norm="batch")
        diffs = [[label, paired_cells(per_seed(rs, lambda r, k=key: mean_shift_err(r, k)), ref)]
                 for label, (rs, key) in arms.items() if key != "shift_err_adabn"]  # fmt: skip
        lines = [
            "## Results",
            "",
            "Test error (%) in eval mode, mean ± std over seeds, on the clean and the shifted "
            "test sets; the last column is the mean over the four shifts:",
            "",
            table(["model", *cols, "mean over shifts"], rows),
            "",
            "Mean error over the shifts of each arm minus BN + AdaBN, paired by seed (points, "
            "mean [95% CI]; positive: AdaBN better):",
            "",
            table(["arm", "minus BN + AdaBN"], diffs),
            "",
        ]
        if figures.have_matplotlib():
            p = self._plot(arms, cols, out / "figures" / "shifted_inputs.png")
            lines += [
                f"![test error on shifted inputs](figures/{p.name})",
                "",
                "*Test error per shift and arm: bars are the mean over seeds, whiskers its "
                "95% t-interval over seeds.*",
                "",
            ]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)

    @staticmethod
    def _plot(arms, cols, path):
        plt = figures.pyplot()
        fig, ax = plt.subplots(figsize=(8, 4))
        width = 0.8 / max(len(arms), 1)
        for i, (label, (rs, key)) in enumerate(arms.items()):
            stats = [figures.mean_ci([(r.get(key) or {}).get(c) for r in rs
                                      if r.get("status") == "ok"]) for c in cols]  # fmt: skip
            xs = [j + (i - (len(arms) - 1) / 2) * width for j in range(len(cols))]
            ax.bar(xs, [s[0] for s in stats], width=width, yerr=[s[1] for s in stats],
                   capsize=2, label=label)  # fmt: skip
        ax.set_xticks(range(len(cols)), cols)
        ax.set_xlabel("test inputs (clean or shifted)")
        ax.set_ylabel("test error (%), eval mode")
        ax.set_title("trained on clean inputs, tested on shifted ones")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7)
        return figures.save(fig, path)
