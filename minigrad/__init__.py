"""minigrad: a small, exact and fast autograd framework on NumPy (CPU) and CuPy (GPU).

Examples
--------
>>> import minigrad
>>> x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x ** 2).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4., 6.])
"""

from minigrad import cuda, jit
from minigrad.autograd import (
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from minigrad.autograd.grad_mode import inference_mode, is_inference_mode_enabled
from minigrad.backend import (
    Device,
    device,
    get_default_device,
    manual_seed,
    set_default_device,
)
from minigrad.creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    tril_indices,
    triu_indices,
    zeros,
    zeros_like,
)
from minigrad.dtypes import (
    bool_,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int32,
    int64,
    long,
    uint8,
)
from minigrad.ops.math.blend import addcdiv, addcmul, lerp
from minigrad.ops.math.closeness import allclose, equal, isclose
from minigrad.ops.math.compare import (
    eq,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    lt,
    ne,
    sign,
)
from minigrad.ops.math.convert import clone
from minigrad.ops.math.einsum import einsum
from minigrad.ops.math.elementwise import (
    add,
    clamp,
    clamp_max,
    clamp_min,
    div,
    maximum,
    minimum,
    mul,
    pow,
    sub,
    where,
)
from minigrad.ops.math.histogram import bincount, count_nonzero
from minigrad.ops.math.linalg import matmul
from minigrad.ops.math.matrix_products import addmm, bmm, dot, mm, mv, outer, tensordot
from minigrad.ops.math.minmax import amax, amin, argmax, argmin, max, min
from minigrad.ops.math.reduce import (  # noqa: A004 - torch.all, torch.any
    all,
    any,
    logsumexp,
    mean,
    std,
    std_mean,
    sum,
    var,
    var_mean,
)
from minigrad.ops.math.rounding import (
    ceil,
    floor,
    floor_divide,
    fmod,
    frac,
    remainder,
    round,
    trunc,
)
from minigrad.ops.math.scan import cummax, cummin, cumprod, cumsum, diff, prod
from minigrad.ops.math.softmax import log_softmax, softmax
from minigrad.ops.math.special import (
    exp2,
    expm1,
    log1p,
    log2,
    log10,
    logaddexp,
    logit,
    reciprocal,
    square,
    xlogy,
)
from minigrad.ops.math.trig import (
    acos,
    acosh,
    arccos,
    arcsin,
    arctan,
    arctan2,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cosh,
    hypot,
    sinh,
    tan,
)
from minigrad.ops.math.unary import abs, cos, exp, log, neg, relu, rsqrt, sigmoid, sin, sqrt, tanh
from minigrad.ops.math.vector_norm import cdist, dist, norm
from minigrad.ops.nn.activation.activation import erf
from minigrad.ops.shape.diagonal import diag, diag_embed, diagonal, trace
from minigrad.ops.shape.grids import broadcast_tensors, cartesian_prod, meshgrid
from minigrad.ops.shape.indexing import gather
from minigrad.ops.shape.masked import (
    argwhere,
    masked_fill,
    masked_select,
    nan_to_num,
    nanmean,
    nansum,
    nonzero,
    tril,
    triu,
)
from minigrad.ops.shape.pad import pad
from minigrad.ops.shape.rearrange import (
    flip,
    fliplr,
    flipud,
    moveaxis,
    movedim,
    narrow,
    repeat_interleave,
    roll,
    select,
    tile,
    unbind,
    unflatten,
)
from minigrad.ops.shape.scatter import (
    index_add,
    index_fill,
    index_select,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
)
from minigrad.ops.shape.shape import (
    broadcast_to,
    cat,
    chunk,
    flatten,
    permute,
    ravel,
    reshape,
    split,
    squeeze,
    stack,
    t,
    transpose,
    unsqueeze,
)
from minigrad.ops.shape.sorting import (
    argsort,
    bucketize,
    kthvalue,
    median,
    msort,
    quantile,
    searchsorted,
    sort,
    topk,
    unique,
)
from minigrad.ops.shape.stacking import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    dstack,
    hstack,
    vstack,
)
from minigrad.tensor import (
    BoolTensor,
    ByteTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    Tensor,
    is_tensor,
    set_printoptions,
)

bool = bool_  # noqa: A001 - PyTorch's name for the dtype
clip = clamp
concat = concatenate = cat  # PyTorch's aliases
swapaxes = swapdims = transpose
float = float32  # noqa: A001 - torch.float
int = int32  # noqa: A001 - torch.int
numel, is_floating_point, detach = Tensor.numel, Tensor.is_floating_point, Tensor.detach
logical_xor = Tensor.logical_xor
divide = true_divide = div
multiply, subtract, negative, absolute = mul, sub, neg, abs
from numpy import finfo, iinfo  # noqa: E402 - torch.finfo(dtype).eps, .max, .tiny

__version__ = "0.1.0"


def _tune_allocator_on_import():
    import os

    from minigrad.backend import tune_allocator

    if os.environ.get("MINIGRAD_TUNE_ALLOCATOR", "1") != "0":
        tune_allocator()


_tune_allocator_on_import()


def __getattr__(name):
    """Import subpackages and checkpoint functions on first use (keeps import light)."""
    import importlib

    if name in ("nn", "optim", "data", "utils", "viz", "experiments"):
        return importlib.import_module(f"minigrad.{name}")
    if name in ("save", "load"):
        return getattr(importlib.import_module("minigrad.serialization"), name)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
