"""Study ``rnn-norms``: no norm vs LayerNorm vs per-step BatchNorm in an LSTM, on mnist1d
read as a sequence, at a small and a large batch."""

from __future__ import annotations

import dataclasses

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.grid import expand_grid
from minigrad.experiments.statistics import Claim
from minigrad.experiments.studies.common import (
    Study,
    by,
    data_settings,
    mean_std,
    paired_cells,
    per_seed,
    seeds,
    table,
    value,
)

NORMS = ["none", "layer", "batch"]
LABELS = {"none": "LSTM", "layer": "LayerNorm LSTM", "batch": "BatchNorm LSTM (per step)"}
SMALL, LARGE = 16, 128
EPOCHS = 8
HIDDEN = 32
LR = 5e-3

BA = "Ba, Kiros & Hinton 2016 (Layer Normalization, arXiv 1607.06450), sections 1, 6.1-6.2"
COOIJMANS = (
    "Cooijmans et al. 2017 (Recurrent Batch Normalization, arXiv 1603.09025), section 5.1 "
    "and Table 1 (sequential and permuted MNIST)"
)


class RNNNormsStudy(Study):
    MODEL = "lstm"
    CAVEAT = True
    NAME = "rnn-norms"
    TITLE = "normalized recurrent networks: LSTM, LayerNorm LSTM and BatchNorm LSTM"
    CLAIMS = {
        "ln-helps-lstm": Claim(
            text="Layer normalization is very effective at stabilizing the hidden state "
            "dynamics in recurrent networks: the layer-normalized LSTM trains faster and "
            "generalizes better than the plain LSTM.",
            source=BA,
            quantity=f"test error of the LSTM minus the LayerNorm LSTM at batch {LARGE} (points)",
            direction="greater",
            published="faster convergence and better validation results for LN-LSTM on "
            "order embeddings, reading comprehension and skip-thoughts (Figures 2-4)",
        ),
        "bn-weak-in-rnn-at-small-batch": Claim(
            text="BatchNorm is less effective for recurrent architectures: it depends on the "
            "mini-batch, needs separate statistics for each time step, and is hurt by small "
            "batches; LayerNorm has none of these problems and works at any batch size.",
            source="The explainers this project started from; " + BA + " (section 1: "
            "'it is not obvious how to apply batch normalization to recurrent neural "
            "networks', and LN's independence of the batch size)",
            quantity=f"test error of the per-step BatchNorm LSTM minus the LayerNorm LSTM at "
            f"batch {SMALL} (points)",
            direction="greater",
        ),
        "bn-degrades-more-than-ln": Claim(
            text="Unlike BatchNorm, LayerNorm does not depend on the batch, so shrinking the "
            "batch hurts a BatchNorm LSTM more than a LayerNorm LSTM.",
            source=BA,
            quantity=f"(BN-LSTM error at batch {SMALL} minus at {LARGE}) minus (LN-LSTM "
            f"error at {SMALL} minus at {LARGE}), per seed (points)",
            direction="greater",
        ),
        "bn-lstm-beats-lstm": Claim(
            text="Batch-normalizing the hidden-to-hidden transition of an LSTM (separate "
            "statistics per time step) leads to faster convergence and improved "
            "generalization.",
            source=COOIJMANS,
            quantity=f"test error of the LSTM minus the BatchNorm LSTM at batch {LARGE} (points)",
            direction="greater",
            published="sequential MNIST: LSTM 98.9%, BN-LSTM 99.0%; permuted MNIST: LSTM "
            "90.2%, BN-LSTM 95.4% test accuracy (batch 64)",
        ),
    }
    SETUP = f"""
mnist1d read as a sequence of 40 steps of one value:
`make_model('lstm', norm, in_shape=(1, 40), width={HIDDEN})`, a one-layer LSTM with
{HIDDEN} hidden units whose outputs at all 40 steps, flattened, feed a Linear classifier
(the readout of mnist1d's GRU). `norm='none'`: `nn.LSTM`; `'layer'`: `nn.LayerNormLSTM`
(Ba et al.: LN on the input-to-hidden and hidden-to-hidden pre-activations and on the
cell); `'batch'`: `nn.BNLSTM` (Cooijmans et al.: BN on both pre-activations and the cell
with statistics per time step, gains initialised to 0.1). Adam, learning rate {LR:g},
{EPOCHS} epochs at batch {SMALL} and at batch {LARGE} (the same epochs, so the small
batch takes 8 times more steps), 5 seeds. Evaluation in eval mode (BN: running statistics
per step).
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(model=self.MODEL, width=4, optimizer="adam", lr=LR,
                             **data_settings(True))  # fmt: skip
            grid = expand_grid(base, norm=NORMS, batch_size=[8], seed=seeds(True))
        else:
            base = RunConfig(model=self.MODEL, width=HIDDEN, optimizer="adam", lr=LR,
                             epochs=EPOCHS, **data_settings(False))  # fmt: skip
            grid = expand_grid(base, norm=NORMS, batch_size=[SMALL, LARGE], seed=seeds(False))
        return [c.replace(tags={"study": self.NAME}) for c in grid]

    def evidence(self, records) -> dict:
        def err(norm, b):
            return per_seed(records, norm=norm, batch_size=b)

        bn_s, bn_l, ln_s, ln_l = err("batch", SMALL), err("batch", LARGE), err(
            "layer", SMALL), err("layer", LARGE)  # fmt: skip
        both = set(bn_s) & set(bn_l) & set(ln_s) & set(ln_l)
        return {
            "ln-helps-lstm": {"a": err("none", LARGE), "b": ln_l},
            "bn-weak-in-rnn-at-small-batch": {"a": bn_s, "b": ln_s},
            "bn-degrades-more-than-ln": {
                "a": {s: bn_s[s] - bn_l[s] for s in both},
                "b": {s: ln_s[s] - ln_l[s] for s in both},
            },
            "bn-lstm-beats-lstm": {"a": err("none", LARGE), "b": bn_l},
        }

    def analyze(self, records, out) -> str:
        sizes = sorted({r["config"]["batch_size"] for r in records})
        norms = [n for n in NORMS if by(records, norm=n)]
        rows = []
        for n in norms:
            cells = []
            for b in sizes:
                rs = by(records, norm=n, batch_size=b)
                m, s, k = mean_std([value(r) for r in rs])
                t = mean_std([r.get("time_s") for r in rs])[0]
                cells += ["—" if not k else f"{m:.1f} ± {s:.1f}", f"{t:.0f}" if rs else "—"]
            rows.append([LABELS[n], *cells])
        diffs = []
        for a, b in (("none", "layer"), ("none", "batch"), ("batch", "layer")):
            if a in norms and b in norms:
                diffs.append([f"{LABELS[a]} - {LABELS[b]}", *(paired_cells(
                    per_seed(records, norm=a, batch_size=s),
                    per_seed(records, norm=b, batch_size=s)) for s in sizes)])  # fmt: skip
        lines = [
            "## Results",
            "",
            "Test error (%), mean ± std over seeds, and seconds per run:",
            "",
            table(["model", *(h for b in sizes for h in (f"batch {b}", f"s/run at {b}"))], rows),
            "",
            "Paired differences of test error (points, mean over seeds [95% CI]; positive: "
            "the second model is better):",
            "",
            table(["difference", *(f"batch {b}" for b in sizes)], diffs),
            "",
        ]
        if not self.CAVEAT:
            lines += [
                "**What LayerNorm still removes.** With 5 values per step the input projection "
                "W·x_t is a vector that varies with the patch, but its LayerNorm over the 4H "
                "features is unchanged when x_t is multiplied by any a > 0 (LN(W(a·x_t)) = "
                "LN(W·x_t), up to eps): each patch's overall size is erased and only its shape "
                "is seen. On mnist1d, where the size of the signal at each position carries "
                "the digit, this costs the LayerNorm LSTM information that the plain and the "
                "BatchNorm LSTM keep (BatchNorm normalizes each feature over the batch).",
                "",
            ]
        lines += (
            []
            if not self.CAVEAT
            else [
                "**Caveat: LayerNorm of a one-value input.** Read this way, each step feeds the "
                "LSTM a single number x_t, so the input-to-hidden pre-activation is x_t·w (w the "
                "4H weights of the one input), and Ba et al.'s LayerNorm of it over its 4H "
                "features is (x_t·w - mean)/std = sign(x_t)·LN(w) (up to eps): it keeps only the "
                "sign of each input value and erases its size (`nn.LayerNormLSTM(1, H)` gives "
                "the same output for x_t = 0.5 and 2.0). The LayerNorm LSTM here cannot see the "
                "signal's amplitude, which explains its near-chance error; per-step BatchNorm "
                "normalizes each feature over the batch and keeps it. The LayerNorm verdicts "
                "below are about this setting (scalar inputs per step), not about LayerNorm "
                "LSTMs on multi-feature inputs (Ba et al.'s tasks feed word embeddings); the "
                "follow-up study `rnn-norms-patches` reads 5 values per step.",
                "",
            ]
        )
        if figures.have_matplotlib():
            groups = {LABELS[n]: {b: [value(r) for r in by(records, norm=n, batch_size=b)]
                                  for b in sizes} for n in norms}  # fmt: skip
            p = figures.ci_lines(
                groups, out / "figures" / "rnn_norms.png",
                xlabel="batch size (log scale)", ylabel="test error (%)", logx=True,
                title="LSTM on mnist1d as a sequence: norms by batch size",
            )  # fmt: skip
            lines += [
                f"![test error of the recurrent models by batch size](figures/{p.name})",
                "",
                "*Mean over seeds; bars: 95% t-interval over seeds.*",
                "",
            ]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)


def _patch_claims() -> dict:
    """The claims of :class:`RNNNormsStudy`, on the patch-reading LSTMs."""
    out = {}
    for key, c in RNNNormsStudy.CLAIMS.items():
        q = c.quantity + ", every LSTM reading 8 steps of 5 values"
        out[key] = dataclasses.replace(c, quantity=q)
    return out


class RNNNormsPatchesStudy(RNNNormsStudy):
    """The follow-up of ``rnn-norms`` (designed after its first run showed that a
    LayerNorm of a one-value input keeps only its sign): the same claims and grid, with
    the LSTMs reading 8 steps of 5 consecutive values."""

    MODEL = "patchlstm"
    CAVEAT = False
    NAME = "rnn-norms-patches"
    TITLE = "normalized LSTMs reading mnist1d as 8 steps of 5 values (follow-up of rnn-norms)"
    CLAIMS = _patch_claims()
    SETUP = f"""
A follow-up of `rnn-norms`, designed after its first run showed that a LayerNorm of the
input projection of a one-value input keeps only the input's sign (see that study's
caveat); its claims are declared here before this grid runs, and `rnn-norms` keeps its
own verdicts. Everything as in `rnn-norms` except the reading: `make_model('patchlstm',
norm, in_shape=(1, 40), width={HIDDEN})` feeds the LSTM 8 steps of 5 consecutive values
(positions 5t to 5t+4 at step t), so every norm sees a 5-value input per step; the
outputs at all 8 steps, flattened, feed a Linear classifier. `norm='none'`: `nn.LSTM`;
`'layer'`: `nn.LayerNormLSTM`; `'batch'`: `nn.BNLSTM` (statistics per step, 8 steps).
Adam, learning rate {LR:g}, {EPOCHS} epochs at batch {SMALL} and at batch {LARGE}, 5 seeds;
evaluation in eval mode.
"""
