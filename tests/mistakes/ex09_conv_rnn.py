"""Realistic mistakes in exercise 09_conv_rnn: each costs only its function's points."""

# ruff: noqa: E501  (the sources are student-style solution cells, kept as written)

MISTAKES = [
    dict(
        function="conv2d_forward",
        why="flips the kernel (a true convolution, not the cross-correlation)",
        source=(
            "def conv2d_forward(X, K, b):\n"
            "    K = K[:, :, ::-1, ::-1]\n"
            "    n, c_in, H, W = X.shape\n"
            "    c_out, _, kh, kw = K.shape\n"
            "    out = np.zeros((n, c_out, H - kh + 1, W - kw + 1))\n"
            "    for i in range(H - kh + 1):\n"
            "        for j in range(W - kw + 1):\n"
            "            for o in range(c_out):\n"
            "                out[:, o, i, j] = np.sum(X[:, :, i:i + kh, j:j + kw] * K[o], axis=(1, 2, 3)) + b[o]\n"
            "    return out\n"
        ),
    ),
    dict(
        function="conv2d_forward",
        why="forgets the bias",
        source=(
            "def conv2d_forward(X, K, b):\n"
            "    n, c_in, H, W = X.shape\n"
            "    c_out, _, kh, kw = K.shape\n"
            "    out = np.zeros((n, c_out, H - kh + 1, W - kw + 1))\n"
            "    for i in range(H - kh + 1):\n"
            "        for j in range(W - kw + 1):\n"
            "            out[:, :, i, j] = np.einsum('nchw,ochw->no', X[:, :, i:i + kh, j:j + kw], K)\n"
            "    return out\n"
        ),
    ),
    dict(
        function="conv2d_forward",
        why="off by one: range(H - kh) misses the last row and column of positions",
        source=(
            "def conv2d_forward(X, K, b):\n"
            "    n, c_in, H, W = X.shape\n"
            "    c_out, _, kh, kw = K.shape\n"
            "    out = np.zeros((n, c_out, H - kh, W - kw))\n"
            "    for i in range(H - kh):\n"
            "        for j in range(W - kw):\n"
            "            out[:, :, i, j] = np.einsum('nchw,ochw->no', X[:, :, i:i + kh, j:j + kw], K) + b\n"
            "    return out\n"
        ),
    ),
    dict(
        function="conv2d_backward",
        why="dK not summed over the batch: each sample overwrites the previous one's dK",
        source=(
            "def conv2d_backward(dOut, X, K):\n"
            "    n, c_in, H, W = X.shape\n"
            "    c_out, _, kh, kw = K.shape\n"
            "    dX, dK = np.zeros_like(X), np.zeros_like(K)\n"
            "    for s in range(n):\n"
            "        dK_sample = np.zeros_like(K)\n"
            "        for i in range(dOut.shape[2]):\n"
            "            for j in range(dOut.shape[3]):\n"
            "                for o in range(c_out):\n"
            "                    dK_sample[o] += dOut[s, o, i, j] * X[s, :, i:i + kh, j:j + kw]\n"
            "                    dX[s, :, i:i + kh, j:j + kw] += dOut[s, o, i, j] * K[o]\n"
            "        dK = dK_sample\n"
            "    return dX, dK, dOut.sum(axis=(0, 2, 3))\n"
        ),
    ),
    dict(
        function="conv2d_backward",
        why="db summed over the wrong axes (over the positions only, keeping the batch axis)",
        source=(
            "def conv2d_backward(dOut, X, K):\n"
            "    kh, kw = K.shape[2:]\n"
            "    dX, dK = np.zeros_like(X), np.zeros_like(K)\n"
            "    for i in range(dOut.shape[2]):\n"
            "        for j in range(dOut.shape[3]):\n"
            "            dK += np.einsum('no,nchw->ochw', dOut[:, :, i, j], X[:, :, i:i + kh, j:j + kw])\n"
            "            dX[:, :, i:i + kh, j:j + kw] += np.einsum('no,ochw->nchw', dOut[:, :, i, j], K)\n"
            "    return dX, dK, dOut.sum(axis=(2, 3))\n"
        ),
    ),
    dict(
        function="conv2d_backward",
        why="dX as a full cross-correlation with the unflipped kernel",
        source=(
            "def conv2d_backward(dOut, X, K):\n"
            "    kh, kw = K.shape[2:]\n"
            "    n, c_in, H, W = X.shape\n"
            "    padded = np.pad(dOut, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))\n"
            "    dX = np.zeros_like(X)\n"
            "    for i in range(H):\n"
            "        for j in range(W):\n"
            "            dX[:, :, i, j] = np.einsum('nohw,ochw->nc', padded[:, :, i:i + kh, j:j + kw], K)\n"
            "    dK = np.zeros_like(K)\n"
            "    for i in range(dOut.shape[2]):\n"
            "        for j in range(dOut.shape[3]):\n"
            "            dK += np.einsum('no,nchw->ochw', dOut[:, :, i, j], X[:, :, i:i + kh, j:j + kw])\n"
            "    return dX, dK, dOut.sum(axis=(0, 2, 3))\n"
        ),
    ),
    dict(
        function="conv2d_backward",
        why="dK averaged over the batch (divided by n)",
        source=(
            "def conv2d_backward(dOut, X, K):\n"
            "    kh, kw = K.shape[2:]\n"
            "    dX, dK = np.zeros_like(X), np.zeros_like(K)\n"
            "    for i in range(dOut.shape[2]):\n"
            "        for j in range(dOut.shape[3]):\n"
            "            dK += np.einsum('no,nchw->ochw', dOut[:, :, i, j], X[:, :, i:i + kh, j:j + kw])\n"
            "            dX[:, :, i:i + kh, j:j + kw] += np.einsum('no,ochw->nchw', dOut[:, :, i, j], K)\n"
            "    return dX, dK / X.shape[0], dOut.sum(axis=(0, 2, 3))\n"
        ),
    ),
    dict(
        function="max_pool2d_backward",
        why="sends the gradient to every element of the window instead of its maximum",
        source=(
            "def max_pool2d_backward(dOut, X, size):\n"
            "    dX = np.zeros_like(X)\n"
            "    for i in range(dOut.shape[2]):\n"
            "        for j in range(dOut.shape[3]):\n"
            "            dX[:, :, i * size:(i + 1) * size, j * size:(j + 1) * size] = dOut[:, :, i:i + 1, j:j + 1]\n"
            "    return dX\n"
        ),
    ),
    dict(
        function="max_pool2d_backward",
        why="copies dOut to every tied maximum of a window (window == window.max() as a mask, "
            "not divided): the window passes on more gradient than it received",
        source=(
            "def max_pool2d_backward(dOut, X, size):\n"
            "    dX = np.zeros_like(X, dtype=float)\n"
            "    for i in range(dOut.shape[2]):\n"
            "        for j in range(dOut.shape[3]):\n"
            "            window = X[:, :, i * size:(i + 1) * size, j * size:(j + 1) * size]\n"
            "            mask = window == window.max(axis=(2, 3), keepdims=True)\n"
            "            dX[:, :, i * size:(i + 1) * size, j * size:(j + 1) * size] = mask * dOut[:, :, i:i + 1, j:j + 1]\n"
            "    return dX\n"
        ),
    ),
    dict(
        function="max_pool2d_backward",
        why="the backward pass of average pooling (dOut / size**2 everywhere)",
        source=(
            "def max_pool2d_backward(dOut, X, size):\n"
            "    dX = np.zeros_like(X)\n"
            "    up = np.kron(dOut, np.ones((size, size))) / size ** 2\n"
            "    dX[:, :, :up.shape[2], :up.shape[3]] = up\n"
            "    return dX\n"
        ),
    ),
    dict(
        function="max_pool2d_backward",
        why="forgets the dropped rows and columns: dX is cut to the pooled area",
        source=(
            "def max_pool2d_backward(dOut, X, size):\n"
            "    n, c, Ho, Wo = dOut.shape\n"
            "    windows = X[:, :, :Ho * size, :Wo * size].reshape(n, c, Ho, size, Wo, size)\n"
            "    mask = windows == windows.max(axis=(3, 5), keepdims=True)\n"
            "    return (mask * dOut[:, :, :, None, :, None]).reshape(n, c, Ho * size, Wo * size)\n"
        ),
    ),
    dict(
        function="max_pool2d_backward",
        why="argmax over the wrong window layout (reshape without the axis swap)",
        source=(
            "def max_pool2d_backward(dOut, X, size):\n"
            "    n, c, Ho, Wo = dOut.shape\n"
            "    dX = np.zeros_like(X)\n"
            "    flat = X[:, :, :Ho * size, :Wo * size].reshape(n, c, Ho, Wo, size * size)\n"
            "    best = flat.argmax(axis=-1)\n"
            "    for a in range(n):\n"
            "        for ch in range(c):\n"
            "            for i in range(Ho):\n"
            "                for j in range(Wo):\n"
            "                    u, v = divmod(best[a, ch, i, j], size)\n"
            "                    dX[a, ch, i * size + u, j * size + v] = dOut[a, ch, i, j]\n"
            "    return dX\n"
        ),
    ),
    dict(
        function="rnn_backward",
        why="BPTT without the recurrent path (forgets dh from step t+1 through Wh)",
        source=(
            "def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):\n"
            "    h0 = np.zeros(Wh.shape[0]) if h0 is None else h0\n"
            "    prev = np.vstack([h0[None, :], hs[:-1]])\n"
            "    da = dhs * (1 - hs ** 2)\n"
            "    return da @ Wx.T, xs.T @ da, prev.T @ da, da.sum(axis=0), da[0] @ Wh.T\n"
        ),
    ),
    dict(
        function="rnn_backward",
        why="forgets the tanh derivative",
        source=(
            "def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):\n"
            "    h0 = np.zeros(Wh.shape[0]) if h0 is None else h0\n"
            "    dxs, dWx, dWh, db = np.zeros_like(xs), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])\n"
            "    dh = np.zeros(Wh.shape[0])\n"
            "    for t in range(len(xs) - 1, -1, -1):\n"
            "        da = dhs[t] + dh\n"
            "        dxs[t] = da @ Wx.T\n"
            "        dWx += np.outer(xs[t], da)\n"
            "        dWh += np.outer(hs[t - 1] if t > 0 else h0, da)\n"
            "        db += da\n"
            "        dh = da @ Wh.T\n"
            "    return dxs, dWx, dWh, db, dh\n"
        ),
    ),
    dict(
        function="rnn_backward",
        why="off by one: dWh pairs dL/da_t with hs[t] (h_t) instead of the previous state",
        source=(
            "def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):\n"
            "    dxs, dWx, dWh, db = np.zeros_like(xs), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])\n"
            "    dh = np.zeros(Wh.shape[0])\n"
            "    for t in range(len(xs) - 1, -1, -1):\n"
            "        da = (dhs[t] + dh) * (1 - hs[t] ** 2)\n"
            "        dxs[t] = da @ Wx.T\n"
            "        dWx += np.outer(xs[t], da)\n"
            "        dWh += np.outer(hs[t], da)\n"
            "        db += da\n"
            "        dh = da @ Wh.T\n"
            "    return dxs, dWx, dWh, db, dh\n"
        ),
    ),
    dict(
        function="rnn_backward",
        why="applies tanh again in the derivative: 1 - tanh(hs[t])**2",
        source=(
            "def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):\n"
            "    h0 = np.zeros(Wh.shape[0]) if h0 is None else h0\n"
            "    dxs, dWx, dWh, db = np.zeros_like(xs), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])\n"
            "    dh = np.zeros(Wh.shape[0])\n"
            "    for t in range(len(xs) - 1, -1, -1):\n"
            "        da = (dhs[t] + dh) * (1 - np.tanh(hs[t]) ** 2)\n"
            "        dxs[t] = da @ Wx.T\n"
            "        dWx += np.outer(xs[t], da)\n"
            "        dWh += np.outer(hs[t - 1] if t > 0 else h0, da)\n"
            "        db += da\n"
            "        dh = da @ Wh.T\n"
            "    return dxs, dWx, dWh, db, dh\n"
        ),
    ),
    dict(
        function="rnn_backward",
        why="adds the recurrent gradient into dhs in place (changes the caller's array)",
        source=(
            "def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):\n"
            "    h0 = np.zeros(Wh.shape[0]) if h0 is None else h0\n"
            "    dxs, dWx, dWh, db = np.zeros_like(xs), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])\n"
            "    for t in range(len(xs) - 1, -1, -1):\n"
            "        da = dhs[t] * (1 - hs[t] ** 2)\n"
            "        dxs[t] = da @ Wx.T\n"
            "        dWx += np.outer(xs[t], da)\n"
            "        dWh += np.outer(hs[t - 1] if t > 0 else h0, da)\n"
            "        db += da\n"
            "        if t > 0:\n"
            "            dhs[t - 1] += da @ Wh.T\n"
            "    return dxs, dWx, dWh, db, da @ Wh.T\n"
        ),
    ),
    dict(
        function="rnn_backward",
        why="ignores the default h0=None (fails only when no h0 is given: hidden tests)",
        fails="hidden",
        source=(
            "def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):\n"
            "    dxs, dWx, dWh, db = np.zeros_like(xs), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])\n"
            "    dh = np.zeros(Wh.shape[0])\n"
            "    for t in range(len(xs) - 1, -1, -1):\n"
            "        da = (dhs[t] + dh) * (1 - hs[t] ** 2)\n"
            "        dxs[t] = da @ Wx.T\n"
            "        dWx += np.outer(xs[t], da)\n"
            "        dWh += np.outer(hs[t - 1] if t > 0 else h0, da)\n"
            "        db += da\n"
            "        dh = da @ Wh.T\n"
            "    return dxs, dWx, dWh, db, dh\n"
        ),
    ),
]

#: Where the package keeps its own implementation of each function (importing it earns 0).
PACKAGE_MODULES = {
    "conv2d_forward": "dlcourse.layers",
    "conv2d_backward": "dlcourse.layers",
    "max_pool2d_backward": "dlcourse.layers",
    "rnn_backward": "dlcourse.layers",
}
