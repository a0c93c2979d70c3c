"""minigrad.nn.utils.recompute_batchnorm_stats (PreciseBN / AdaBN) against a direct
computation of the averaged batch statistics."""

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad import nn
from minigrad.nn.utils import recompute_batchnorm_stats


def _model(device):
    return nn.Sequential(
        nn.Linear(5, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(6, 4), nn.BatchNorm1d(4, momentum=None),
    ).to(device)  # fmt: skip


def _batches(device, n=6, shift=0.0, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    return [
        minigrad.tensor((rng.standard_normal((8, 5)) * 2 + shift).astype(np.float32), device=device)
        for _ in range(n)
    ]


def _expected(model, batches):
    """Direct computation in float64: each batch goes through the layers with both
    BatchNorms normalizing by its own statistics (as in training), dropout off (the model
    is in eval mode); the result is the average of the batch means and of the unbiased
    batch variances."""
    W1, b1 = (to_numpy(p).astype(np.float64) for p in (model[0].weight, model[0].bias))
    g1, be1 = (to_numpy(p).astype(np.float64) for p in (model[1].weight, model[1].bias))
    W2, b2 = (to_numpy(p).astype(np.float64) for p in (model[4].weight, model[4].bias))
    stats = {1: ([], []), 5: ([], [])}
    for x in batches:
        z1 = to_numpy(x).astype(np.float64) @ W1.T + b1
        stats[1][0].append(z1.mean(0))
        stats[1][1].append(z1.var(0, ddof=1))
        a = np.maximum((z1 - z1.mean(0)) / np.sqrt(z1.var(0) + 1e-5) * g1 + be1, 0)
        z2 = a @ W2.T + b2
        stats[5][0].append(z2.mean(0))
        stats[5][1].append(z2.var(0, ddof=1))
    return {k: (np.mean(m, 0), np.mean(v, 0)) for k, (m, v) in stats.items()}


def test_matches_direct_computation(device):
    model = _model(device)
    for _ in range(3):  # some training steps: EMA running stats, counters
        model.train()
        model(_batches(device, 1, rng_seed=9)[0])
    model.eval()
    params = {k: to_numpy(v).copy() for k, v in model.named_parameters()}
    counts = [int(to_numpy(model[i].num_batches_tracked)) for i in (1, 5)]
    batches = _batches(device, shift=3.0)
    want = _expected(model, batches)
    assert recompute_batchnorm_stats(model, batches) == 6
    for i in (1, 5):
        np.testing.assert_allclose(to_numpy(model[i].running_mean), want[i][0], rtol=1e-5,
                                   atol=1e-5)  # fmt: skip
        np.testing.assert_allclose(to_numpy(model[i].running_var), want[i][1], rtol=1e-5,
                                   atol=1e-5)  # fmt: skip
    # nothing else changed: parameters, modes, momenta, counters
    for k, v in model.named_parameters():
        np.testing.assert_array_equal(to_numpy(v), params[k])
    assert not any(m.training for m in model.modules())
    assert model[1].momentum == 0.1 and model[5].momentum is None
    assert [int(to_numpy(model[i].num_batches_tracked)) for i in (1, 5)] == counts


def test_training_mode_restored_and_dropout_left_alone(device):
    model = _model(device).train()
    batches = _batches(device, 4)
    recompute_batchnorm_stats(model, batches)
    assert all(m.training for m in model.modules())
    # in training mode dropout stays on during the passes: the statistics differ from eval
    model_eval = _model(device)
    model_eval.load_state_dict(model.state_dict())
    model_eval.eval()
    recompute_batchnorm_stats(model_eval, batches)
    assert not np.allclose(to_numpy(model[5].running_mean), to_numpy(model_eval[5].running_mean))


def test_num_batches_and_tuples(device):
    model = _model(device).eval()
    batches = _batches(device, 6)
    ys = [minigrad.zeros(8, device=device) for _ in batches]
    assert recompute_batchnorm_stats(model, iter(zip(batches, ys)), num_batches=2) == 2
    want = _expected(model, batches[:2])
    np.testing.assert_allclose(to_numpy(model[1].running_var), want[1][1], rtol=1e-5, atol=1e-5)


def test_precise_differs_from_ema_and_adapts_to_a_shift(device):
    """AdaBN: statistics recomputed on shifted inputs follow the shift; the EMA after a few
    steps at momentum 0.1 is still far from the population values."""
    model = nn.Sequential(nn.BatchNorm1d(5)).to(device)
    shifted = _batches(device, 10, shift=4.0)
    model.train()
    for x in shifted[:3]:
        model(x)
    ema = to_numpy(model[0].running_mean).copy()
    model.eval()
    recompute_batchnorm_stats(model, shifted)
    precise = to_numpy(model[0].running_mean)
    pop = np.mean([to_numpy(x) for x in shifted], axis=(0, 1))
    np.testing.assert_allclose(precise, pop, rtol=1e-5, atol=1e-5)
    assert np.all(np.abs(ema - pop) > 1.0)  # 1 - 0.9^3 of the way from 0 to about 4


def test_errors_leave_stats_untouched(device):
    model = _model(device).eval()
    before = to_numpy(model[1].running_mean).copy()
    with pytest.raises(ValueError, match="expected 5 batches, got 2"):
        recompute_batchnorm_stats(model, _batches(device, 2), num_batches=5)
    with pytest.raises(ValueError, match="at least one batch"):
        recompute_batchnorm_stats(model, [])
    with pytest.raises(ValueError, match="num_batches"):
        recompute_batchnorm_stats(model, [], num_batches=0)
    np.testing.assert_array_equal(to_numpy(model[1].running_mean), before)
    assert model[1].momentum == 0.1 and not model.training


def test_model_without_batchnorm():
    assert recompute_batchnorm_stats(nn.Linear(2, 2), [minigrad.zeros(1, 2)]) == 0
