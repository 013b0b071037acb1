"""Independent correct answers for exercise 07 (architectures), in different styles."""

from tests.independent import with_own_helpers

# ruff: noqa: E501  (the sources are student-style solution cells, kept as written)

VARIANTS = {
    # scipy.signal for the convolution, sliding windows for pooling, einsum in the recurrence.
    "scipy_windows": {
        "conv2d": '''
            from scipy.signal import correlate2d


            def conv2d(image, kernel):
                return correlate2d(np.asarray(image, dtype=float), np.asarray(kernel, dtype=float),
                                   mode="valid")
            ''',
        "max_pool2d": '''
            from numpy.lib.stride_tricks import sliding_window_view


            def max_pool2d(x, size):
                windows = sliding_window_view(np.asarray(x, dtype=float), (size, size))
                return windows[::size, ::size].max(axis=(-2, -1))
            ''',
        "rnn_forward": '''
            def rnn_forward(xs, Wx, Wh, b, h0):
                states = []
                h = np.array(h0, dtype=float)
                for x_t in np.asarray(xs, dtype=float):
                    h = np.tanh(np.einsum("i,ih->h", x_t, Wx) + np.einsum("g,gh->h", h, Wh) + b)
                    states.append(h)
                return np.stack(states)
            ''',
    },
    # Convolution as the true convolution with the flipped kernel; shifted-slice accumulation
    # for pooling; all input terms x @ Wx precomputed for the whole sequence.
    "flipped_convolve": {
        "conv2d": '''
            from scipy.signal import convolve2d


            def conv2d(image, kernel):
                kernel = np.asarray(kernel, dtype=float)
                return convolve2d(np.asarray(image, dtype=float), kernel[::-1, ::-1], mode="valid")
            ''',
        "max_pool2d": '''
            def max_pool2d(x, size):
                x = np.asarray(x, dtype=float)
                rows, cols = x.shape[0] // size, x.shape[1] // size
                out = np.full((rows, cols), -np.inf)
                for di in range(size):
                    for dj in range(size):
                        out = np.maximum(out, x[di:rows * size:size, dj:cols * size:size])
                return out
            ''',
        "rnn_forward": '''
            def rnn_forward(xs, Wx, Wh, b, h0):
                inputs = np.asarray(xs, dtype=float) @ np.asarray(Wx, dtype=float) + b
                hs = np.zeros((len(inputs), np.shape(Wh)[1]))
                previous = np.asarray(h0, dtype=float)
                for t in range(len(inputs)):
                    previous = np.tanh(inputs[t] + previous @ Wh)
                    hs[t] = previous
                return hs
            ''',
    },
    # Accumulate kernel-weighted shifted images; pure Python max over windows; column layout (W^T h).
    "shift_add_loops": {
        "conv2d": '''
            def conv2d(image, kernel):
                image = np.asarray(image, dtype=float)
                kernel = np.asarray(kernel, dtype=float)
                kh, kw = kernel.shape
                oh, ow = image.shape[0] - kh + 1, image.shape[1] - kw + 1
                out = np.zeros((oh, ow))
                for u in range(kh):
                    for v in range(kw):
                        out += kernel[u, v] * image[u:u + oh, v:v + ow]
                return out
            ''',
        "max_pool2d": '''
            def max_pool2d(x, size):
                rows = np.asarray(x, dtype=float).tolist()
                out = []
                for i in range(len(rows) // size):
                    line = []
                    for j in range(len(rows[0]) // size):
                        line.append(max(rows[i * size + a][j * size + c]
                                        for a in range(size) for c in range(size)))
                    out.append(line)
                return np.array(out).reshape(len(rows) // size, len(rows[0]) // size)
            ''',
        "rnn_forward": '''
            import math


            def rnn_forward(xs, Wx, Wh, b, h0):
                WxT, WhT = np.asarray(Wx, dtype=float).T, np.asarray(Wh, dtype=float).T
                h = np.asarray(h0, dtype=float).reshape(-1, 1)          # column vector
                out = []
                for x in np.asarray(xs, dtype=float):
                    h = np.tanh(WxT @ x.reshape(-1, 1) + WhT @ h + np.reshape(b, (-1, 1)))
                    out.append(h.ravel().tolist())
                return np.array(out)
            ''',
    },
    # Sliding windows + einsum for the convolution; reshape trick for pooling; list of states.
    "einsum_reshape": {
        "conv2d": '''
            from numpy.lib.stride_tricks import sliding_window_view as _windows


            def conv2d(image, kernel):
                kernel = np.asarray(kernel, dtype=float)
                patches = _windows(np.asarray(image, dtype=float), kernel.shape)
                return np.einsum("ijkl,kl->ij", patches, kernel)
            ''',
        "max_pool2d": '''
            def max_pool2d(x, size):
                x = np.asarray(x, dtype=float)
                H, W = (x.shape[0] // size) * size, (x.shape[1] // size) * size
                blocks = x[:H, :W].reshape(H // size, size, W // size, size).swapaxes(1, 2)
                return blocks.reshape(H // size, W // size, size * size).max(axis=-1)
            ''',
        "rnn_forward": '''
            def rnn_forward(xs, Wx, Wh, b, h0):
                hs = [np.asarray(h0, dtype=float)]
                for x in xs:
                    hs.append(np.tanh(np.dot(x, Wx) + np.dot(hs[-1], Wh) + b))
                return np.array(hs[1:])
            ''',
    },
}


# A correct answer whose helpers share names with the test helpers (see tests.independent.OWN_HELPERS).
VARIANTS["own_helpers"] = with_own_helpers(VARIANTS["scipy_windows"], "conv2d")


# Everything in float32, as deep-learning libraries compute it (the contract names no dtype): the
# results differ from float64 by rounding (up to ~1e-6 after a few recurrent steps), not by mistakes.
VARIANTS["float32"] = {
    "conv2d": '''
        def conv2d(image, kernel):
            image = np.asarray(image, dtype=np.float32)
            kernel = np.asarray(kernel, dtype=np.float32)
            kh, kw = kernel.shape
            out = np.empty((image.shape[0] - kh + 1, image.shape[1] - kw + 1), dtype=np.float32)
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
            return out
        ''',
    "max_pool2d": '''
        def max_pool2d(x, size):
            x = np.asarray(x, dtype=np.float32)
            rows, cols = x.shape[0] // size, x.shape[1] // size
            return x[:rows * size, :cols * size].reshape(rows, size, cols, size).max(axis=(1, 3))
        ''',
    "rnn_forward": '''
        def rnn_forward(xs, Wx, Wh, b, h0):
            xs, Wx, Wh, b, h = (np.asarray(a, dtype=np.float32) for a in (xs, Wx, Wh, b, h0))
            hs = np.empty((xs.shape[0], Wh.shape[0]), dtype=np.float32)
            for t, x in enumerate(xs):
                h = np.tanh(x @ Wx + h @ Wh + b)
                hs[t] = h
            return hs
        ''',
}


# The course's style (argument checks raising ValueError as the package's check_* helpers do,
# the chapter's names, the formula written the obvious way): written for the advisory flag of
# dlgrade.package_copy, which must stay silent on it (benchmarks/package_copy.py).
VARIANTS["course_style"] = {
    **VARIANTS["einsum_reshape"],
    "max_pool2d": '''
        def max_pool2d(x, size):
            x = np.asarray(x, dtype=float)
            if x.ndim != 2:
                raise ValueError(f"x has shape {x.shape}, expected (H, W)")
            if int(size) != size or size < 1:
                raise ValueError(f"size must be an integer >= 1, got {size!r}")
            H, W = x.shape[0] // size, x.shape[1] // size
            out = np.zeros((H, W))
            for i in range(H):
                for j in range(W):
                    out[i, j] = x[i * size:(i + 1) * size, j * size:(j + 1) * size].max()
            return out
        ''',
}
