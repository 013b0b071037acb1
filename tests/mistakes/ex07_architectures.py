"""Realistic mistakes in exercise 07_architectures: each costs only its function's points."""

MISTAKES = [
    dict(
        function="conv2d",
        why="flips the kernel (a mathematician's convolution, not the cross-correlation)",
        source=(
            "def conv2d(image, kernel):\n"
            "    kernel = kernel[::-1, ::-1]\n"
            "    kh, kw = kernel.shape\n"
            "    H, W = image.shape\n"
            "    out = np.zeros((H - kh + 1, W - kw + 1))\n"
            "    for i in range(H - kh + 1):\n"
            "        for j in range(W - kw + 1):\n"
            "            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)\n"
            "    return out\n"
        ),
    ),
    dict(
        function="conv2d",
        why="'same' zero padding: output of the image's shape instead of the valid part",
        source=(
            "def conv2d(image, kernel):\n"
            "    kh, kw = kernel.shape\n"
            "    H, W = image.shape\n"
            "    padded = np.zeros((H + kh - 1, W + kw - 1))\n"
            "    padded[(kh - 1) // 2:(kh - 1) // 2 + H, (kw - 1) // 2:(kw - 1) // 2 + W] = image\n"
            "    out = np.zeros((H, W))\n"
            "    for i in range(H):\n"
            "        for j in range(W):\n"
            "            out[i, j] = np.sum(padded[i:i + kh, j:j + kw] * kernel)\n"
            "    return out\n"
        ),
    ),
    dict(
        function="conv2d",
        why="off by one: range(H - kh) misses the last row and column of positions",
        source=(
            "def conv2d(image, kernel):\n"
            "    kh, kw = kernel.shape\n"
            "    H, W = image.shape\n"
            "    out = np.zeros((H - kh, W - kw))\n"
            "    for i in range(H - kh):\n"
            "        for j in range(W - kw):\n"
            "            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)\n"
            "    return out\n"
        ),
    ),
    dict(
        function="max_pool2d",
        why="overlapping windows: the window moves by 1 instead of by size",
        source=(
            "def max_pool2d(x, size):\n"
            "    H, W = x.shape\n"
            "    out = np.zeros((H - size + 1, W - size + 1))\n"
            "    for i in range(H - size + 1):\n"
            "        for j in range(W - size + 1):\n"
            "            out[i, j] = x[i:i + size, j:j + size].max()\n"
            "    return out\n"
        ),
    ),
    dict(
        function="max_pool2d",
        why="average pooling: the mean of each window instead of its maximum",
        source=(
            "def max_pool2d(x, size):\n"
            "    H, W = x.shape[0] // size, x.shape[1] // size\n"
            "    return x[:H * size, :W * size].reshape(H, size, W, size).mean(axis=(1, 3))\n"
        ),
    ),
    dict(
        function="max_pool2d",
        why="starts each maximum from 0, so windows of negative values give 0",
        source=(
            "def max_pool2d(x, size):\n"
            "    H, W = x.shape[0] // size, x.shape[1] // size\n"
            "    out = np.zeros((H, W))\n"
            "    for i in range(H):\n"
            "        for j in range(W):\n"
            "            best = 0.0\n"
            "            window = x[i * size:(i + 1) * size, j * size:(j + 1) * size]\n"
            "            for value in window.ravel():\n"
            "                if value > best:\n"
            "                    best = value\n"
            "            out[i, j] = best\n"
            "    return out\n"
        ),
    ),
    dict(
        function="rnn_forward",
        why="ignores h0 and starts from a zero state",
        source=(
            "def rnn_forward(xs, Wx, Wh, b, h0):\n"
            "    h = np.zeros(Wh.shape[0])\n"
            "    hs = []\n"
            "    for x in xs:\n"
            "        h = np.tanh(x @ Wx + h @ Wh + b)\n"
            "        hs.append(h)\n"
            "    return np.array(hs)\n"
        ),
    ),
    dict(
        function="rnn_forward",
        why="stores the state before updating it, so hs holds h_0 .. h_{T-1}",
        source=(
            "def rnn_forward(xs, Wx, Wh, b, h0):\n"
            "    h = h0\n"
            "    hs = []\n"
            "    for x in xs:\n"
            "        hs.append(h)\n"
            "        h = np.tanh(x @ Wx + h @ Wh + b)\n"
            "    return np.array(hs)\n"
        ),
    ),
    dict(
        function="rnn_forward",
        why="column-vector habit: Wh @ h instead of h @ Wh (transposed recurrent weights)",
        source=(
            "def rnn_forward(xs, Wx, Wh, b, h0):\n"
            "    h = h0\n"
            "    hs = []\n"
            "    for x in xs:\n"
            "        h = np.tanh(x @ Wx + Wh @ h + b)\n"
            "        hs.append(h)\n"
            "    return np.array(hs)\n"
        ),
    ),
]

#: Where the package keeps its own implementation of each function (importing it earns 0).
PACKAGE_MODULES = {
    "conv2d": "dlcourse.layers",
    "max_pool2d": "dlcourse.layers",
    "rnn_forward": "dlcourse.layers",
}
