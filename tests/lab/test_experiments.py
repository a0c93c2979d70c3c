"""The laboratory's building blocks: models, configs, runs, grids with resume, reports."""

import json

import numpy as np
import pytest

import minigrad
from minigrad.experiments import (
    ConfigError,
    RunConfig,
    expand_grid,
    make_model,
    make_norm,
    read_results,
    run_grid,
    train,
    write_report,
)
from minigrad.experiments.grid import append_result
from minigrad.experiments.results import summarize, varying_axes

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A run of a few steps: an MLP of width 8 on 64 digits.
TINY = RunConfig(
    model="mlp", norm="none", width=8, depth=1, subset=64, test_subset=64, epochs=1, batch_size=16
)


# ----------------------------------------------------------------------- models
@pytest.mark.parametrize("norm", ["none", "batch", "layer", "group", "renorm", "rms"])
def test_mlp_every_norm_forward_backward(norm):
    model = make_model("mlp", norm, in_shape=(1, 8, 8), width=8, depth=2, groups=2)
    x = minigrad.randn(4, 1, 8, 8)
    out = model(x)
    assert out.shape == (4, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("kind", ["cnn", "resnet"])
@pytest.mark.parametrize("norm", ["none", "batch", "layer", "group", "instance", "renorm", "rms"])
@pytest.mark.parametrize("in_shape", [(1, 8, 8), (1, 40)])
def test_conv_models_every_norm(kind, norm, in_shape):
    model = make_model(kind, norm, in_shape=in_shape, width=4, depth=2, groups=2)
    out = model(minigrad.randn(3, *in_shape))
    assert out.shape == (3, 10)
    out.sum().backward()
    assert all(np.isfinite(p.grad.numpy()).all() for p in model.parameters())


def test_make_norm_names_the_layer():
    assert type(make_norm("batch", 4)).__name__ == "BatchNorm1d"
    assert type(make_norm("batch", 4, (3, 3))).__name__ == "BatchNorm2d"
    assert type(make_norm("layer", 4, (3, 3))).__name__ == "LayerNorm"
    assert type(make_norm("renorm", 4, (3,))).__name__ == "BatchRenorm1d"
    assert type(make_norm("none", 4)).__name__ == "Identity"


def test_model_factory_errors():
    with pytest.raises(ValueError, match="groups=3 must divide the 8 channels"):
        make_norm("group", 8, groups=3)
    with pytest.raises(ValueError, match="unknown norm 'batchy'"):
        make_model("mlp", "batchy")
    with pytest.raises(ValueError, match="InstanceNorm needs a spatial extent"):
        make_model("mlp", "instance", in_shape=(4,))
    with pytest.raises(ValueError, match="width must be a positive integer"):
        make_model("mlp", "none", in_shape=(4,), width=0)
    with pytest.raises(ValueError, match="needs in_shape"):
        make_model("cnn", "none", in_shape=(4,))


# ----------------------------------------------------------------------- config
def test_config_validation_messages():
    with pytest.raises(ConfigError, match="batch_size must be a positive integer, got -4"):
        RunConfig(batch_size=-4).validate()
    with pytest.raises(ConfigError, match="unknown norm"):
        RunConfig(norm="bn").validate()
    with pytest.raises(ConfigError, match="groups=3 must divide the 8 channels"):
        RunConfig(norm="group", groups=3, width=8).validate()
    with pytest.raises(ConfigError, match="lr must be > 0"):
        RunConfig(lr=0.0).validate()
    with pytest.raises(ConfigError, match="unknown config keys: bogus"):
        RunConfig.from_dict({"bogus": 1})


def test_run_id_is_stable_and_distinguishes_configs():
    a, b = RunConfig(seed=0), RunConfig(seed=1)
    assert a.run_id() == RunConfig(seed=0).run_id()
    assert a.run_id() != b.run_id()
    assert a.run_id() != a.replace(epochs=6).run_id()


# ------------------------------------------------------------------------- runs
def test_train_writes_files_and_is_deterministic(tmp_path):
    r1 = train(TINY, out_dir=tmp_path / "a", progress="none")
    r2 = train(TINY, out_dir=tmp_path / "b", progress="none")
    assert r1["status"] == "ok" and r1["steps"] == 4
    assert r1["final"]["test_acc"] == r2["final"]["test_acc"]
    assert r1["history"][0]["train_loss"] == r2["history"][0]["train_loss"]
    out = tmp_path / "a"
    assert RunConfig.from_dict(json.loads((out / "config.json").read_text())) == TINY
    steps = [json.loads(line) for line in (out / "metrics_steps.jsonl").read_text().splitlines()]
    assert [s["step"] for s in steps] == [1, 2, 3, 4]
    assert all(np.isfinite(s["loss"]) for s in steps)
    epochs = (out / "metrics_epochs.jsonl").read_text().splitlines()
    assert len(epochs) == 1 and "test_acc" in json.loads(epochs[0])
    assert json.loads((out / "result.json").read_text())["run_id"] == TINY.run_id()
    # the checkpoint loads back into a fresh model with the same weights
    state = minigrad.load(str(out / "model.ckpt"))
    model = make_model("mlp", "none", (1, 8, 8), 10, width=8, depth=1)
    model.load_state_dict(state)


class _KillAfter(KeyboardInterrupt):
    """Stands for a kill in the middle of an epoch."""


@pytest.mark.parametrize("norm, dropout", [("batch", 0.0), ("none", 0.3)])
def test_resume_after_kill_gives_the_uninterrupted_result(tmp_path, norm, dropout):
    cfg = TINY.replace(norm=norm, dropout=dropout, epochs=3, optimizer="sgd", momentum=0.9)
    whole = train(cfg, out_dir=tmp_path / "whole", progress="none")

    def kill(trainer, record):  # dies in epoch 2, after epoch 1's checkpoint
        if trainer.step == 6:
            raise _KillAfter

    out = tmp_path / "killed"
    with pytest.raises(_KillAfter):
        train(cfg, out_dir=out, progress="none", callbacks=[kill])
    assert (out / "last.ckpt").exists() and not (out / "result.json").exists()
    resumed = train(cfg, out_dir=out, progress="none", resume=True)
    assert resumed["steps"] == whole["steps"] == 12 and resumed["epochs"] == 3
    for key in ("train_loss", "test_loss", "test_acc", "train_acc_eval", "train_loss_eval"):
        assert resumed["final"][key] == whole["final"][key], key
    assert [h["train_loss"] for h in resumed["history"]] == [
        h["train_loss"] for h in whole["history"]
    ]
    a, b = minigrad.load(str(out / "model.ckpt")), minigrad.load(str(tmp_path / "whole/model.ckpt"))
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_array_equal(a[k].numpy(), b[k].numpy())
    steps = [json.loads(x)["step"] for x in (out / "metrics_steps.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 13))  # the lost steps of epoch 2 are not duplicated
    assert len((out / "metrics_epochs.jsonl").read_text().splitlines()) == 3


def test_training_learns_digits():
    cfg = TINY.replace(subset=None, test_subset=None, width=32, epochs=3, norm="batch")
    r = train(cfg, progress="none")
    assert r["final"]["test_acc"] > 0.85


def test_divergence_is_recorded_not_raised(tmp_path):
    r = train(TINY.replace(lr=1e6, epochs=3), out_dir=tmp_path, progress="none")
    assert r["status"] == "diverged"
    assert r["diverged_at_step"] is not None and r["steps"] == r["diverged_at_step"]
    assert not (tmp_path / "model.ckpt").exists()


def test_eval_batch_stats_restores_running_statistics():
    from minigrad.experiments.runner import Trainer

    t = Trainer(TINY.replace(norm="batch", subset=None, test_subset=None, width=16, lr=0.1))
    for xb, yb in t.batches():  # one epoch on the digits: enough to learn them
        t.train_step(xb, yb)
    before = {k: b.numpy().copy() for k, b in t.model.named_buffers()}
    ev = t.evaluate("test", batch_stats=True)
    for k, b in t.model.named_buffers():
        np.testing.assert_array_equal(b.numpy(), before[k])
    ev_running = t.evaluate("test")
    assert ev["acc"] > 0.5 and ev_running["acc"] > 0.5  # 10 classes: chance is 0.1
    assert ev["loss"] != ev_running["loss"]  # batch statistics, not the running ones


def test_plain_progress_prints_epochs(capsys):
    train(TINY, progress="plain")
    assert "epoch 1" in capsys.readouterr().err


# ------------------------------------------------------------------------ grids
def test_expand_grid_order_and_errors():
    cs = expand_grid(TINY, norm=["none", "batch"], seed=[0, 1, 2])
    assert [(c.norm, c.seed) for c in cs][:3] == [("none", 0), ("none", 1), ("none", 2)]
    with pytest.raises(ValueError, match="not a RunConfig field"):
        expand_grid(TINY, colour=["red"])


class Killed(KeyboardInterrupt):
    """Stands for a kill: not caught by the grid."""


def test_grid_resumes_after_kill_without_loss_or_duplicates(tmp_path):
    configs = expand_grid(TINY, norm=["none", "batch"], seed=[0, 1, 2])
    calls = []

    def dying_after(n):
        def run(config, run_dir, progress):
            if len(calls) == n:
                raise Killed()
            calls.append(config.run_id())
            return train(config, out_dir=run_dir, progress="none")

        return run

    with pytest.raises(Killed):
        run_grid(configs, tmp_path, run_fn=dying_after(2), progress="none", log=lambda s: None)
    assert [r["run_id"] for r in read_results(tmp_path)] == calls
    # a kill in the middle of writing leaves half a line: it is dropped and overwritten
    with open(tmp_path / "results.jsonl", "a") as f:
        f.write('{"run_id": "half-writ')
    logs = []
    records = run_grid(configs, tmp_path, run_fn=dying_after(99), progress="none", log=logs.append)
    ids = [r["run_id"] for r in records]
    assert sorted(ids) == sorted(c.run_id() for c in configs)
    assert len(ids) == len(set(ids)) == 6
    assert len(calls) == 6  # the two finished runs were not trained again
    assert "2 of 6 runs already done" in logs[0]
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 6 and all(json.loads(line) for line in lines)
    # a third call trains nothing
    run_grid(configs, tmp_path, run_fn=dying_after(0), progress="none", log=lambda s: None)


def test_grid_records_divergence_and_errors_and_goes_on(tmp_path):
    configs = [TINY.replace(lr=1e6, epochs=3), TINY.replace(norm="batch"), TINY.replace(seed=5)]

    def run(config, run_dir, progress):
        if config.seed == 5:
            raise RuntimeError("injected failure")
        return train(config, out_dir=run_dir, progress="none")

    records = run_grid(configs, tmp_path, run_fn=run, progress="none", log=lambda s: None)
    assert [r["status"] for r in records] == ["diverged", "ok", "failed"]
    assert "injected failure" in records[2]["error"]


def test_append_result_is_one_line_per_record(tmp_path):
    p = tmp_path / "r.jsonl"
    append_result(p, {"run_id": "x", "config": {}, "v": float("nan")})
    append_result(p, {"run_id": "y", "config": {}})
    assert len(p.read_text().splitlines()) == 2
    assert [r["run_id"] for r in read_results(p)] == ["x", "y"]


# ---------------------------------------------------------------------- reports
def _fake_records():
    recs = []
    for norm, base in (("none", 0.8), ("batch", 0.9)):
        for bs in (8, 32):
            for seed in (0, 1, 2):
                recs.append(
                    {
                        "run_id": f"{norm}-{bs}-{seed}",
                        "config": TINY.replace(norm=norm, batch_size=bs, seed=seed).to_dict(),
                        "status": "ok",
                        "final": {"test_acc": base + 0.01 * seed, "train_acc_eval": 0.99},
                        "history": [
                            {"epoch": 1, "test_acc": base - 0.1},
                            {"epoch": 2, "test_acc": base},
                        ],
                        "steps_per_s": 100.0,
                    }
                )
    recs.append(
        {
            "run_id": "div",
            "config": TINY.replace(norm="none", batch_size=8, seed=9).to_dict(),
            "status": "diverged",
            "final": {},
        }
    )
    return recs


def test_summary_means_and_spreads():
    recs = _fake_records()
    assert varying_axes(recs) == ["norm", "batch_size"]
    rows = summarize(recs)
    first = rows[0]
    assert (first["norm"], first["batch_size"], first["runs"], first["diverged"]) == (
        "none",
        8,
        4,
        1,
    )
    assert first["test_acc"]["mean"] == pytest.approx(0.81)
    assert first["test_acc"]["std"] == pytest.approx(0.01)


def test_report_tables_and_valid_pngs(tmp_path):
    for rec in _fake_records():
        append_result(tmp_path / "results.jsonl", rec)
    path = write_report(tmp_path)
    text = path.read_text()
    assert "| norm | batch_size | runs |" in text
    assert "81.0 ± 1.0" in text  # none at batch 8
    assert "Test accuracy (%) by norm and batch_size" in text
    csv_lines = (tmp_path / "summary.csv").read_text().splitlines()
    assert csv_lines[0].startswith("norm,batch_size,runs,ok,diverged,errors,test_acc_mean")
    assert len(csv_lines) == 5 and csv_lines[1].startswith("none,8,4,3,1,0,0.81")
    pngs = sorted((tmp_path / "figures").glob("*.png"))
    assert pngs, "no figures written"
    plt = pytest.importorskip("matplotlib.pyplot")
    for p in pngs:
        assert p.read_bytes()[:8] == PNG_SIGNATURE
        assert plt.imread(p).ndim == 3
        assert f"figures/{p.name}" in text


def test_report_without_matplotlib_says_how_to_get_figures(tmp_path, monkeypatch):
    from minigrad.experiments import figures

    monkeypatch.setattr(figures, "have_matplotlib", lambda: False)
    for rec in _fake_records():
        append_result(tmp_path / "results.jsonl", rec)
    text = write_report(tmp_path).read_text()
    assert 'pip install "minigrad-lab[plot]"' in text
    assert not (tmp_path / "figures").exists()


def test_report_of_empty_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results"):
        write_report(tmp_path)


# studies: see tests/lab/test_studies.py (every study's --quick run, verdicts, findings)
