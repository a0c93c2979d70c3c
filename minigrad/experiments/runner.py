"""Train one run from a :class:`RunConfig`: progress bar, metrics files, checkpoint.

A run writes into its output folder:

``config.json``
    the configuration;
``metrics_steps.jsonl``
    one line per optimizer step: ``step, epoch, loss, acc, lr`` (plus any extra metrics
    that callbacks return);
``metrics_epochs.jsonl``
    one line per epoch: training loss/accuracy, test loss/accuracy, time, steps/s;
``model.ckpt``
    the final ``model.state_dict()`` written with :func:`minigrad.save` (safetensors: it
    loads into the equivalent PyTorch model);
``last.ckpt``
    rewritten atomically at the end of every epoch: the model, the optimizer, the random
    generators' states and the history so far, from which ``train(..., resume=True)``
    (``minigrad train --resume DIR``) continues a killed run to the same result as an
    uninterrupted one;
``result.json``
    the summary that grids append to their ``results.jsonl``.

A NaN or infinite loss stops the run, which is then recorded with
``status='diverged'`` instead of raising.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np

from minigrad.experiments import parallel
from minigrad.experiments.config import RunConfig
from minigrad.experiments.datasets import cached_arrays
from minigrad.experiments.models import make_model, scale_init
from minigrad.experiments.progress import ProgressBar

__all__ = ["Trainer", "train", "write_json", "LAST_CHECKPOINT"]

#: The per-epoch checkpoint a killed run is resumed from.
LAST_CHECKPOINT = "last.ckpt"

#: Seed of the subset choice: every run of a grid sees the same data.
DATA_SEED = 0


def write_json(path, obj) -> None:
    """Write ``obj`` as JSON atomically (temporary file, fsync, rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _data(config: RunConfig):
    """The run's arrays, loaded once per process (see :func:`cached_arrays`)."""
    return cached_arrays(
        config.dataset, config.data_root, config.subset, config.test_subset, DATA_SEED
    )


class Trainer:
    """The pieces of a training loop, usable one by one by studies.

    Parameters
    ----------
    config : RunConfig
        Validated on construction.
    data : DataArrays, optional
        Arrays to train on (default: loaded from ``config.dataset``, cached per process).

    Attributes
    ----------
    model, optimizer, data, device, step, epoch

    Examples
    --------
    >>> t = Trainer(RunConfig(model="mlp", width=8, depth=1, subset=64, batch_size=16))
    >>> xb, yb = next(iter(t.batches()))
    >>> loss, acc = t.train_step(xb, yb)
    >>> math.isfinite(loss), t.step
    (True, 1)
    """

    def __init__(self, config: RunConfig, data=None):
        import minigrad
        from minigrad import optim

        config.validate()
        self.config = config
        self.data = data if data is not None else _data(config)
        self.device = minigrad.device(config.device)
        minigrad.manual_seed(config.seed)
        self.model = make_model(
            config.model,
            config.norm,
            self.data.in_shape,
            self.data.num_classes,
            width=config.width,
            depth=config.depth,
            activation=config.activation,
            groups=config.groups,
            momentum=config.bn_momentum,
            rmax=config.rmax,
            dmax=config.dmax,
            dropout=config.dropout,
        )
        if config.init_scale != 1.0:
            scale_init(self.model, config.init_scale)
        if config.renorm_warmup:
            self._renorm_schedule(config.renorm_warmup, config.rmax, config.dmax)
        self.model.to(self.device)
        # data parallel under mpiexec: gradients averaged over processes after backward
        self.rank, self.world_size = parallel.world()
        self.ddp = parallel.wrap(self.model) if self.world_size > 1 else None
        params = list(self.model.parameters())
        if config.optimizer == "sgd":
            self.optimizer = optim.SGD(
                params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
            )
        else:
            self.optimizer = optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
        self.rng = np.random.default_rng(config.seed)
        self.step = 0
        self.epoch = 0
        n = len(self.data.x_train)
        self.steps_per_epoch = max(n // (config.batch_size * self.world_size), 1)
        self.total_steps = self.steps_per_epoch * config.epochs
        if config.max_steps is not None:
            self.total_steps = min(self.total_steps, config.max_steps)

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """Everything needed to continue training exactly: model, optimizer, step and epoch
        counters, and the states of the batch-order and the device's random generators.

        Examples
        --------
        >>> t = Trainer(RunConfig(model="mlp", width=8, depth=1, subset=64, batch_size=16))
        >>> sorted(t.state_dict())
        ['device_rng', 'epoch', 'model', 'optimizer', 'rng', 'step']
        """
        from minigrad import backend

        device_rng = None
        if self.device.type == "cpu":  # CuPy's generators have no portable state
            device_rng = backend.generator(self.device).bit_generator.state
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "epoch": self.epoch,
            "rng": self.rng.bit_generator.state,
            "device_rng": device_rng,
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from a :meth:`state_dict` of a trainer with the same config."""
        from minigrad import backend

        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step, self.epoch = int(state["step"]), int(state["epoch"])
        self.rng.bit_generator.state = state["rng"]
        if state.get("device_rng") is not None and self.device.type == "cpu":
            backend.generator(self.device).bit_generator.state = state["device_rng"]

    def _renorm_schedule(self, steps: int, rmax: float, dmax: float) -> None:
        """Ramp Batch Renormalization's limits from plain BN to ``(rmax, dmax)``."""

        def schedule(t):
            f = min(t / steps, 1.0)
            return 1.0 + f * (rmax - 1.0), f * dmax

        for m in self.model.modules():
            if hasattr(m, "schedule") and hasattr(m, "rmax"):
                m.schedule = schedule

    # ------------------------------------------------------------------ data
    def tensor(self, arr):
        """A NumPy array as a tensor on the run's device."""
        import minigrad

        return minigrad.tensor(arr, device=self.device)

    def batches(self):
        """One epoch of shuffled training batches ``(x, y)`` as tensors (last partial
        batch dropped, so a batch norm never sees a batch of one)."""
        n, bs = len(self.data.x_train), self.config.batch_size
        gbs, lo = bs * self.world_size, bs * self.rank  # this process's slice of a batch
        order = self.rng.permutation(n)
        if n < gbs:
            order = np.concatenate([order] * (gbs // n + 1))[:gbs]
        for i in range(self.steps_per_epoch):
            idx = order[i * gbs + lo : i * gbs + lo + bs]
            yield self.tensor(self.data.x_train[idx]), self.tensor(self.data.y_train[idx])

    # -------------------------------------------------------------- training
    def current_lr(self) -> float:
        base = self.config.lr
        if self.config.lr_schedule == "cosine":
            return 0.5 * base * (1 + math.cos(math.pi * self.step / max(self.total_steps, 1)))
        return base

    def train_step(self, xb, yb) -> tuple:
        """One optimizer step; returns ``(loss, batch accuracy)`` as Python floats."""
        from minigrad.nn import functional as F

        lr = self.current_lr()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.model.train()
        logits = self.model(xb)
        loss = F.cross_entropy(logits, yb)
        self.optimizer.zero_grad()
        loss.backward()
        loss_value = float(loss.item())
        pred = _numpy(logits).argmax(axis=1)
        acc = float((pred == _numpy(yb)).mean())
        if self.world_size > 1:  # the global batch's: every process decides alike
            loss_value, acc = parallel.average([loss_value, acc])
        if math.isfinite(loss_value):
            self.optimizer.step()
        self.step += 1
        return loss_value, acc

    def evaluate(self, split: str = "test", batch_stats: bool = False, batch_size=None):
        """Loss and accuracy on a split, without gradients.

        Parameters
        ----------
        split : {'test', 'train'}
        batch_stats : bool
            Evaluate in training mode (normalize with each batch's statistics, batches of
            the run's ``batch_size``); the running statistics are restored afterwards.
        batch_size : int, optional
            Evaluation batch size in eval mode (default 512).

        Returns
        -------
        dict
            ``{'loss': float, 'acc': float}``
        """
        import minigrad
        from minigrad.nn import functional as F

        x = self.data.x_test if split == "test" else self.data.x_train
        y = self.data.y_test if split == "test" else self.data.y_train
        saved = None
        if batch_stats:
            bs = self.config.batch_size
            saved = {k: b._data.copy() for k, b in self.model.named_buffers()}
            self.model.train()
        else:
            bs = batch_size or 512
            self.model.eval()
        total_loss, correct, count = 0.0, 0, 0
        try:
            with minigrad.no_grad():
                for i in range(0, len(x), bs):
                    xb, yb = x[i : i + bs], y[i : i + bs]
                    if batch_stats and len(xb) < 2:
                        continue
                    logits = self.model(self.tensor(xb))
                    loss = F.cross_entropy(logits, self.tensor(yb), reduction="sum")
                    total_loss += float(loss.item())
                    correct += int((_numpy(logits).argmax(axis=1) == yb).sum())
                    count += len(xb)
        finally:
            if saved is not None:
                for name, buf in self.model.named_buffers():
                    buf._data = saved[name]
            self.model.train()
        count = max(count, 1)
        return {"loss": total_loss / count, "acc": correct / count}


def _numpy(t):
    arr = t.detach()._data if hasattr(t, "detach") else t
    return arr.get() if hasattr(arr, "get") else np.asarray(arr)


def _save_checkpoint(model, path) -> str | None:
    import minigrad

    try:
        save = minigrad.save
    except (AttributeError, ImportError):  # serialization not available
        return None
    save(model.state_dict(), str(path))
    return path.name


def _keep_lines(path: Path, keep) -> None:
    """Rewrite a JSON-lines file keeping the records for which ``keep(record)`` holds."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line cut by the kill
        if isinstance(rec, dict) and keep(rec):
            kept.append(line + "\n")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(kept))
    os.replace(tmp, path)


def train(
    config: RunConfig,
    out_dir=None,
    progress: str | bool = "auto",
    callbacks=(),
    data=None,
    checkpoint: bool = True,
    hooks=(),
    resume: bool = False,
) -> dict:
    """Train one run and return its summary (also written to ``out_dir/result.json``).

    Parameters
    ----------
    config : RunConfig
    out_dir : str or Path, optional
        Where to write config, metrics and checkpoint (nothing is written without it).
    progress : {'auto', 'bar', 'plain', 'none'} or bool
        A tqdm bar (``auto``: when tqdm is installed, else plain per-epoch lines).
    callbacks : sequence of callables
        ``cb(trainer, record)`` after each step; a returned dict is merged into the
        step's metrics record.
    data : DataArrays, optional
    checkpoint : bool
        Save the final weights, and a resumable ``last.ckpt`` after every epoch (needs
        ``out_dir``).
    resume : bool
        Continue from ``out_dir/last.ckpt`` when it exists (the run's metrics files are
        cut back to that epoch); the result is the one an uninterrupted run gives.
    hooks : sequence of objects
        The training loop's extension points: each hook may define any of
        ``before_step(trainer, xb, yb)`` (before the optimizer step, on its batch),
        ``after_step(trainer, record)`` (like a callback), ``after_epoch(trainer, row)`` and
        ``after_run(trainer, result)`` (may add keys to the result). Studies that measure
        something during training (the landscape probes) are hooks on this one loop.

    Returns
    -------
    dict
        ``run_id, config, status ('ok' | 'diverged'), steps, epochs, final, history,
        evals, time_s, steps_per_s, diverged_at_step, checkpoint``.

    Examples
    --------
    >>> r = train(RunConfig(model="mlp", width=8, depth=1, subset=64, epochs=1), progress="none")
    >>> r["status"], r["steps"]
    ('ok', 2)
    """
    import minigrad

    t0 = time.perf_counter()
    trainer = Trainer(config, data=data)
    before = [h.before_step for h in hooks if hasattr(h, "before_step")]
    callbacks = [*callbacks, *(h.after_step for h in hooks if hasattr(h, "after_step"))]
    out = Path(out_dir) if out_dir is not None else None
    step_file = epoch_file = None
    history, evals = [], []
    train_time = 0.0
    mode = "w"
    if out is not None and resume and (out / LAST_CHECKPOINT).exists():  # every rank reads it
        saved = minigrad.load(str(out / LAST_CHECKPOINT), map_location=str(trainer.device))
        trainer.load_state_dict(saved["trainer"])
        history, evals = list(saved["history"]), list(saved["evals"])
        train_time = float(saved["train_time"])
        mode = "a"
    if trainer.rank != 0:  # data parallel: rank 0 alone writes and shows progress
        out, progress = None, "none"
    if out is not None:
        if mode == "a":  # the steps and epochs after the checkpoint are trained again
            _keep_lines(out / "metrics_steps.jsonl", lambda r: r.get("step", 0) <= trainer.step)
            _keep_lines(out / "metrics_epochs.jsonl", lambda r: r.get("epoch", 0) <= trainer.epoch)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "config.json", config.to_dict())
        step_file = open(out / "metrics_steps.jsonl", mode)
        epoch_file = open(out / "metrics_epochs.jsonl", mode)
    bar = ProgressBar(trainer.total_steps, config.run_id(), mode=progress)
    status, diverged_at = "ok", None
    try:
        while trainer.step < trainer.total_steps and status == "ok":
            trainer.epoch += 1
            losses, accs = [], []
            t_epoch = time.perf_counter()
            for xb, yb in trainer.batches():
                if trainer.step >= trainer.total_steps:
                    break
                lr = trainer.current_lr()
                for hook in before:
                    hook(trainer, xb, yb)
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    loss, acc = trainer.train_step(xb, yb)
                record = {"step": trainer.step, "epoch": trainer.epoch, "loss": loss, "acc": acc}
                record["lr"] = lr
                if not math.isfinite(loss):
                    status, diverged_at = "diverged", trainer.step
                    record["loss"] = str(loss)
                for cb in callbacks:
                    extra = cb(trainer, record)
                    if extra:
                        record.update(extra)
                if config.eval_every and trainer.step % config.eval_every == 0 and status == "ok":
                    ev = trainer.evaluate("test")
                    record.update(test_loss=ev["loss"], test_acc=ev["acc"])
                    evals.append({"step": trainer.step, **ev})
                if step_file is not None:
                    step_file.write(json.dumps(record) + "\n")
                losses.append(loss)
                accs.append(acc)
                bar.update(loss, acc)
                if status != "ok":
                    break
            train_time += time.perf_counter() - t_epoch
            row = {
                "epoch": trainer.epoch,
                "step": trainer.step,
                "train_loss": float(np.mean(losses)) if status == "ok" else None,
                "train_acc": float(np.mean(accs)) if accs else None,
            }
            if status == "ok":
                ev = trainer.evaluate("test")
                row.update(test_loss=ev["loss"], test_acc=ev["acc"])
                if config.eval_batch_stats:
                    evb = trainer.evaluate("test", batch_stats=True)
                    row.update(test_loss_batch_stats=evb["loss"], test_acc_batch_stats=evb["acc"])
            row["time_s"] = time.perf_counter() - t0
            row["steps_per_s"] = trainer.step / train_time if train_time else None
            history.append(row)
            bar.epoch(row)
            for hook in hooks:
                if hasattr(hook, "after_epoch"):
                    hook.after_epoch(trainer, row)
            if epoch_file is not None:
                epoch_file.write(json.dumps(row) + "\n")
                epoch_file.flush()
                step_file.flush()
                if checkpoint and status == "ok":
                    state = {
                        "trainer": trainer.state_dict(),
                        "history": history,
                        "evals": evals,
                        "train_time": train_time,
                    }
                    minigrad.save(state, str(out / LAST_CHECKPOINT))
    finally:
        bar.close()
        for f in (step_file, epoch_file):
            if f is not None:
                f.close()

    final = dict(history[-1]) if history else {}
    if status == "ok":
        ev = trainer.evaluate("train")
        final.update(train_loss_eval=ev["loss"], train_acc_eval=ev["acc"])
    ckpt = None
    if out is not None and checkpoint and status == "ok":
        ckpt = _save_checkpoint(trainer.model, out / "model.ckpt")
    elapsed = time.perf_counter() - t0
    result = {
        "run_id": config.run_id(),
        "config": config.to_dict(),
        "status": status,
        "steps": trainer.step,
        "epochs": trainer.epoch,
        "diverged_at_step": diverged_at,
        "final": final,
        "history": history,
        "evals": evals,
        "time_s": elapsed,
        "steps_per_s": trainer.step / train_time if train_time else None,
        "checkpoint": ckpt,
        "world_size": trainer.world_size,
        "global_batch_size": config.batch_size * trainer.world_size,
    }
    for hook in hooks:
        if hasattr(hook, "after_run"):
            hook.after_run(trainer, result)
    if out is not None:
        write_json(out / "result.json", result)
    return result
