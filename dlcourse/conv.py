"""Convolution and max pooling as pure functions, for one image and for batches.

``conv2d`` and ``max_pool2d`` work on one single-channel image, as the architectures chapter
introduces them (a "valid" cross-correlation, like every deep-learning library's convolution).
``conv2d_forward``/``conv2d_backward`` and ``max_pool2d_forward``/``max_pool2d_backward`` are
the batched, trainable versions of the chapter "A CNN that learns": batches of images are
``(n_samples, channels, height, width)`` (PyTorch's layout) and a kernel bank ``K`` is
``(c_out, c_in, kh, kw)``; stride and zero padding follow ``torch.nn.functional.conv2d``. Every
backward returns the gradients of a scalar loss ``L`` given the upstream ``dOut = dL/dOut``.
:mod:`dlcourse.layers` re-exports all of them.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import as_float_array, check_positive_int


def conv2d(image, kernel):
    """Valid 2-D cross-correlation (what deep learning calls convolution).

    ``out[i, j] = sum_{u, v} image[i + u, j + v] * kernel[u, v]``; the kernel is
    not flipped and only positions where it fits entirely are kept.

    Parameters
    ----------
    image : array_like of shape (H, W)
    kernel : array_like of shape (kh, kw), with kh <= H and kw <= W

    Returns
    -------
    ndarray of shape (H - kh + 1, W - kw + 1)

    Examples
    --------
    >>> conv2d(np.arange(9.0).reshape(3, 3), np.array([[1.0, 0.0], [0.0, -1.0]]))
    array([[-4., -4.],
           [-4., -4.]])
    """
    image = as_float_array(image, "image")
    kernel = as_float_array(kernel, "kernel")
    if image.ndim != 2 or 0 in image.shape:
        raise ValueError(f"image has shape {image.shape}, expected a non-empty 2-D array (H, W)")
    if kernel.ndim != 2 or 0 in kernel.shape:
        raise ValueError(
            f"kernel has shape {kernel.shape}, expected a non-empty 2-D array (kh, kw)"
        )
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(
            f"kernel has shape {kernel.shape}, expected at most the image's shape {image.shape}"
        )
    windows = sliding_window_view(image, kernel.shape)  # (H-kh+1, W-kw+1, kh, kw)
    return np.einsum("ijkl,kl->ij", windows, kernel)


def max_pool2d(x, size):
    """Non-overlapping max pooling with a ``size x size`` window.

    Rows and columns left over when ``H`` or ``W`` is not a multiple of ``size``
    are dropped (as in PyTorch's default).

    Parameters
    ----------
    x : array_like of shape (H, W)
    size : int, 1 <= size <= min(H, W)

    Returns
    -------
    ndarray of shape (H // size, W // size)

    Examples
    --------
    >>> max_pool2d(np.arange(16.0).reshape(4, 4), 2)
    array([[ 5.,  7.],
           [13., 15.]])
    """
    x = as_float_array(x, "x")
    if x.ndim != 2 or 0 in x.shape:
        raise ValueError(f"x has shape {x.shape}, expected a non-empty 2-D array (H, W)")
    size = check_positive_int(size, "size")
    if size > min(x.shape):
        raise ValueError(
            f"size is {size}, expected at most min(H, W) = {min(x.shape)} for x of shape {x.shape}"
        )
    h, w = x.shape[0] // size, x.shape[1] // size
    return x[: h * size, : w * size].reshape(h, size, w, size).max(axis=(1, 3))


def _check_images(X, name="X"):
    X = as_float_array(X, name)
    if X.ndim != 4 or 0 in X.shape:
        raise ValueError(
            f"{name} has shape {X.shape}, expected a non-empty 4-D array "
            "(n_samples, channels, height, width)"
        )
    return X


def _check_conv(X, K, stride=1, padding=0):
    X = _check_images(X)
    K = as_float_array(K, "K")
    stride = check_positive_int(stride, "stride")
    padding = check_positive_int(padding, "padding", minimum=0)
    if K.ndim != 4 or 0 in K.shape:
        raise ValueError(
            f"K has shape {K.shape}, expected a non-empty 4-D array (c_out, c_in, kh, kw)"
        )
    if K.shape[1] != X.shape[1]:
        raise ValueError(
            f"K has shape {K.shape}, expected (c_out, {X.shape[1]}, kh, kw): one kernel "
            f"channel per channel of X, which has {X.shape[1]}"
        )
    H, W = X.shape[2] + 2 * padding, X.shape[3] + 2 * padding
    if K.shape[2] > H or K.shape[3] > W:
        raise ValueError(
            f"K has shape {K.shape}, expected kernels of at most the images' size "
            f"{(H, W)} after padding {padding} (kh <= height + 2 padding, "
            "kw <= width + 2 padding)"
        )
    return X, K, stride, padding


def conv2d_output_size(size, kernel_size, stride=1, padding=0):
    """Side of a convolution's output: ``(size + 2 padding - kernel_size) // stride + 1``.

    The kernel's top-left corner visits rows ``0, stride, 2 stride, ...`` of the
    zero-padded input as long as the whole kernel fits; leftover rows at the end
    are not read (as in PyTorch).

    Examples
    --------
    >>> conv2d_output_size(8, 3), conv2d_output_size(8, 3, padding=1)
    (6, 8)
    >>> conv2d_output_size(256, 3, stride=2, padding=1)
    128
    """
    size = check_positive_int(size, "size")
    kernel_size = check_positive_int(kernel_size, "kernel_size")
    stride = check_positive_int(stride, "stride")
    padding = check_positive_int(padding, "padding", minimum=0)
    if kernel_size > size + 2 * padding:
        raise ValueError(
            f"kernel_size is {kernel_size}, expected at most size + 2 padding = "
            f"{size + 2 * padding}"
        )
    return (size + 2 * padding - kernel_size) // stride + 1


# The private kernels below work channels-last, on maps of shape (n, H, W, c). The im2col
# product ``rows @ K.T`` then yields its (sample, position) x channel result directly in
# that layout (no transpose, no copy), and an upstream gradient of that layout goes back
# into the product as a plain reshape. The public functions take PyTorch's (n, c, H, W)
# and transpose at the door; the CNN keeps its feature maps channels-last throughout.


def _channels_last(X):
    """View of (n, c, H, W) as (n, H, W, c)."""
    return X.transpose(0, 2, 3, 1)


def _channels_first(X):
    """(n, H, W, c) back to a contiguous (n, c, H, W)."""
    return np.ascontiguousarray(X.transpose(0, 3, 1, 2))


def _im2col(X, kh, kw, stride=1):
    """Every ``kh x kw`` window of channels-last maps ``X`` (n, H, W, c) as one row.

    Returns a new array of shape ``(n * Ho * Wo, kh * kw * c)``: row ``(s, i, j)`` holds
    the window whose top-left corner is ``(i * stride, j * stride)`` in sample ``s``, in
    the order (kernel row, kernel column, channel) of :func:`_kernel_matrix`.
    """
    n = X.shape[0]
    windows = sliding_window_view(X, (kh, kw), axis=(1, 2))  # (n, Ho, Wo, c, kh, kw), a view
    if stride > 1:
        windows = windows[:, ::stride, ::stride]
    Ho, Wo = windows.shape[1:3]
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * Ho * Wo, -1)


def _pad(X, padding):
    """Channels-last maps (n, H, W, c) with ``padding`` rows and columns of zeros all round."""
    if padding == 0:
        return X
    return np.pad(X, ((0, 0), (padding, padding), (padding, padding), (0, 0)))


def _kernel_matrix(K):
    """``K`` (c_out, c_in, kh, kw) as a (c_out, kh * kw * c_in) matrix matching :func:`_im2col`."""
    return K.transpose(0, 2, 3, 1).reshape(K.shape[0], -1)


def _conv_forward_rows(rows, K, b, map_shape):
    """Channels-last convolution from the im2col rows: ``(n, Ho, Wo, c_out)``."""
    Out = rows @ _kernel_matrix(K).T  # (n * Ho * Wo, c_out)
    Out += b
    return Out.reshape(*map_shape, K.shape[0])


def _conv_backward_rows(dOut, rows, K):
    """``dK`` and ``db`` from a channels-last ``dOut`` (n, Ho, Wo, c_out) and the im2col rows.

    ``dK[o, c, u, v] = sum over samples and positions of dOut * the input under (u, v)``:
    one product ``D.T @ rows``, with ``D`` the gradient as a (n * Ho * Wo, c_out) matrix.
    """
    c_out, c_in, kh, kw = K.shape
    D = dOut.reshape(-1, c_out)
    dK = (D.T @ rows).reshape(c_out, kh, kw, c_in).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(dK), D.sum(axis=0)


def _conv_backward_input(dOut, K):
    """``dX`` (n, H, W, c_in), channels-last: the full cross-correlation of ``dOut`` with
    the kernels flipped in both directions, by im2col of ``dOut`` zero-padded by
    ``kh - 1`` rows and ``kw - 1`` columns."""
    c_out, c_in, kh, kw = K.shape
    n, Ho, Wo, _ = dOut.shape
    padded = np.pad(dOut, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    flipped = K[:, :, ::-1, ::-1].transpose(2, 3, 0, 1).reshape(-1, c_in)  # (kh*kw*c_out, c_in)
    dX = _im2col(padded, kh, kw) @ flipped
    return dX.reshape(n, Ho + kh - 1, Wo + kw - 1, c_in)


def _conv_backward_input_strided(dOut, K, stride, padded_shape):
    """``dX`` of the zero-padded input (n, Hp, Wp, c_in) for any stride, channels-last.

    With stride ``s`` the windows start every ``s`` pixels: spreading ``dOut`` out with
    ``s - 1`` zeros between its entries gives the stride-1 output gradient of the same
    windows, and :func:`_conv_backward_input` does the rest. Rows and columns at the
    end that no window reached get 0.
    """
    n, Ho, Wo, c_out = dOut.shape
    if stride > 1:
        spread = np.zeros((n, (Ho - 1) * stride + 1, (Wo - 1) * stride + 1, c_out))
        spread[:, ::stride, ::stride] = dOut
        dOut = spread
    dX = _conv_backward_input(dOut, K)
    Hp, Wp = padded_shape
    if dX.shape[1:3] != (Hp, Wp):
        dX = np.pad(dX, ((0, 0), (0, Hp - dX.shape[1]), (0, Wp - dX.shape[2]), (0, 0)))
    return dX


def conv2d_forward(X, K, b, stride=1, padding=0):
    """Convolutional layer on a batch: cross-correlation with stride and zero padding, plus a bias.

    ``Out[s, o, i, j] = b[o] + sum_{c, u, v} Xp[s, c, i*stride + u, j*stride + v] * K[o, c, u, v]``
    where ``Xp`` is ``X`` with ``padding`` rows and columns of zeros on every side
    (PyTorch's ``conv2d`` with an integer ``stride`` and ``padding``). Every window
    becomes a row of a matrix (im2col), so all positions of all samples are computed
    by a single matrix product.

    Parameters
    ----------
    X : array_like of shape (n_samples, c_in, H, W)
    K : array_like of shape (c_out, c_in, kh, kw), with kh <= H + 2 padding and
        kw <= W + 2 padding
    b : array_like of shape (c_out,), one bias per output channel
    stride : int >= 1, default 1
        Step between two windows, in pixels, along both axes.
    padding : int >= 0, default 0
        Rows and columns of zeros added on every side of each image.

    Returns
    -------
    Out : ndarray of shape (n_samples, c_out, Ho, Wo)
        ``Ho = (H + 2 padding - kh) // stride + 1`` (:func:`conv2d_output_size`), and
        ``Wo`` likewise; with the defaults ``(H - kh + 1, W - kw + 1)``.

    Examples
    --------
    >>> X = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> conv2d_forward(X, np.array([[[[1.0, 0.0], [0.0, -1.0]]]]), [0.5])
    array([[[[-3.5, -3.5],
             [-3.5, -3.5]]]])
    >>> conv2d_forward(X, np.ones((1, 1, 3, 3)), [0.0], stride=2, padding=1)  # 2 x 2 corners
    array([[[[ 8., 12.],
             [20., 24.]]]])
    """
    X, K, stride, padding = _check_conv(X, K, stride, padding)
    b = as_float_array(b, "b")
    if b.shape != (K.shape[0],):
        raise ValueError(f"b has shape {b.shape}, expected ({K.shape[0]},): one bias per kernel")
    n, _, H, W = X.shape
    _, _, kh, kw = K.shape
    Ho = (H + 2 * padding - kh) // stride + 1
    Wo = (W + 2 * padding - kw) // stride + 1
    rows = _im2col(_pad(_channels_last(X), padding), kh, kw, stride)
    return _channels_first(_conv_forward_rows(rows, K, b, (n, Ho, Wo)))


def conv2d_backward(dOut, X, K, stride=1, padding=0):
    """Backward pass of :func:`conv2d_forward`.

    Each weight ``K[o, c, u, v]`` is used at every position, so its gradient sums
    over them: ``dK[o, c, u, v] = sum_{s, i, j} dOut[s, o, i, j] * Xp[s, c, i * stride + u,
    j * stride + v]``, itself a cross-correlation of the (padded) input with ``dOut``.
    Each input pixel feeds every output whose window covers it: with stride 1, ``dX``
    is the *full* cross-correlation of ``dOut`` (zero-padded by ``kh - 1`` rows and
    ``kw - 1`` columns) with the kernels flipped in both directions; with a larger
    stride the same, after spreading ``dOut`` out with ``stride - 1`` zeros between
    its entries. The gradient of the padding is dropped.

    Parameters
    ----------
    dOut : array_like of shape (n_samples, c_out, Ho, Wo), the shape of the layer's output
    X : array_like of shape (n_samples, c_in, H, W), the input of the forward pass
    K : array_like of shape (c_out, c_in, kh, kw)
    stride, padding : int, those of the forward pass

    Returns
    -------
    dX : ndarray of shape (n_samples, c_in, H, W)
    dK : ndarray of shape (c_out, c_in, kh, kw)
    db : ndarray of shape (c_out,), ``dOut`` summed over samples and positions

    Examples
    --------
    >>> X = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> dX, dK, db = conv2d_backward(np.ones((1, 1, 2, 2)), X, np.ones((1, 1, 2, 2)))
    >>> dK[0, 0], db  # dK[u, v]: the sum of the 2 x 2 block of X starting at (u, v)
    (array([[ 8., 12.],
           [20., 24.]]), array([4.]))
    >>> dX[0, 0]  # how many windows cover each pixel
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> conv2d_backward(np.ones((1, 1, 2, 2)), X, np.ones((1, 1, 3, 3)), 2, 1)[0][0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    X, K, stride, padding = _check_conv(X, K, stride, padding)
    dOut = as_float_array(dOut, "dOut")
    n, c_in, H, W = X.shape
    c_out, _, kh, kw = K.shape
    Hp, Wp = H + 2 * padding, W + 2 * padding
    expected = (n, c_out, (Hp - kh) // stride + 1, (Wp - kw) // stride + 1)
    if dOut.shape != expected:
        raise ValueError(
            f"dOut has shape {dOut.shape}, expected {expected}, the shape of the layer's output"
        )
    dOut = _channels_last(dOut)
    rows = _im2col(_pad(_channels_last(X), padding), kh, kw, stride)
    dK, db = _conv_backward_rows(dOut, rows, K)
    dXp = _conv_backward_input_strided(dOut, K, stride, (Hp, Wp))
    dX = dXp[:, padding : padding + H, padding : padding + W]
    return _channels_first(dX), dK, db


def _check_pool(X, size):
    X = _check_images(X)
    size = check_positive_int(size, "size")
    if size > min(X.shape[2:]):
        raise ValueError(
            f"size is {size}, expected at most min(height, width) = {min(X.shape[2:])} "
            f"for X of shape {X.shape}"
        )
    return X, size


def max_pool2d_forward(X, size):
    """Max pooling on a batch: the largest value of each ``size x size`` window.

    Windows do not overlap (stride ``size``); rows and columns left over when
    ``H`` or ``W`` is not a multiple of ``size`` are dropped, as in PyTorch.

    Parameters
    ----------
    X : array_like of shape (n_samples, channels, H, W)
    size : int, 1 <= size <= min(H, W)

    Returns
    -------
    Out : ndarray of shape (n_samples, channels, H // size, W // size)

    Examples
    --------
    >>> max_pool2d_forward(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """
    X, size = _check_pool(X, size)
    return _channels_first(_pool_forward(_channels_last(X), size))


def _window_entries(A, size):
    """For channels-last maps ``A`` (n, H, W, c): the views ``A[:, i::size, j::size]``
    (cut to whole windows), one per position ``(i, j)`` inside the window, in row-major
    order. Looping over these ``size**2`` offsets, never over positions or samples,
    keeps every operation a whole-array one."""
    h, w = A.shape[1] // size * size, A.shape[2] // size * size
    return [A[:, i:h:size, j:w:size] for i in range(size) for j in range(size)]


def _pool_forward(A, size):
    """Channels-last max pooling: (n, H, W, c) -> (n, H // size, W // size, c)."""
    entries = _window_entries(A, size)
    P = entries[0].copy()
    for entry in entries[1:]:
        np.maximum(P, entry, out=P)
    return P


def _pool_backward(dP, A, size, P=None):
    """Channels-last max-pool backward; ``P``, the forward output, is recomputed if None.

    The offsets are visited in row-major order and each window's gradient goes to the
    first entry equal to the window's maximum (``pending`` marks windows still waiting).
    """
    if P is None:
        P = _pool_forward(A, size)
    dA = np.zeros_like(A)
    pending = np.ones(P.shape, dtype=bool)
    for entry, d_entry in zip(_window_entries(A, size), _window_entries(dA, size), strict=True):
        hit = entry == P
        hit &= pending
        np.multiply(hit, dP, out=d_entry)
        pending ^= hit  # hit is inside pending: this clears the windows just served
    return dA


def max_pool2d_backward(dOut, X, size):
    """Backward pass of :func:`max_pool2d_forward`: each window's gradient goes to its maximum.

    Only the winning entry of a window influenced the output, so it receives the
    window's ``dOut`` and the other entries (and dropped rows and columns) get 0.
    **Ties**: when several entries share the maximum, the whole gradient goes to
    the first of them in row-major order (what ``np.argmax`` picks), so the
    gradient is one valid subgradient and no window passes on more than its
    ``dOut``.

    Parameters
    ----------
    dOut : array_like of shape (n_samples, channels, H // size, W // size)
    X : array_like of shape (n_samples, channels, H, W), the input of the forward pass
    size : int

    Returns
    -------
    dX : ndarray of shape (n_samples, channels, H, W)

    Examples
    --------
    >>> X = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])  # the 3s tie: the first one wins
    >>> max_pool2d_backward([[[[10.0]]]], X, 2)
    array([[[[ 0., 10.],
             [ 0.,  0.]]]])
    """
    X, size = _check_pool(X, size)
    dOut = as_float_array(dOut, "dOut")
    n, c, H, W = X.shape
    h, w = H // size, W // size
    if dOut.shape != (n, c, h, w):
        raise ValueError(
            f"dOut has shape {dOut.shape}, expected {(n, c, h, w)}, the shape of the layer's output"
        )
    return _channels_first(_pool_backward(_channels_last(dOut), _channels_last(X), size))
