"""Independent correct answers for exercise 09 (convolution, pooling and recurrence backward)."""

from tests.independent import with_own_helpers

# ruff: noqa: E501  (the sources are student-style solution cells, kept as written)

VARIANTS = {
    # Plain Python loops over every index; pooling keeps the first maximum it meets.
    "loops": {
        "conv2d_forward": '''
            def conv2d_forward(X, K, b):
                n, c_in, H, W = np.shape(X)
                c_out, _, kh, kw = np.shape(K)
                out = np.zeros((n, c_out, H - kh + 1, W - kw + 1))
                for s in range(n):
                    for o in range(c_out):
                        for i in range(H - kh + 1):
                            for j in range(W - kw + 1):
                                total = b[o]
                                for c in range(c_in):
                                    for u in range(kh):
                                        for v in range(kw):
                                            total += X[s][c][i + u][j + v] * K[o][c][u][v]
                                out[s, o, i, j] = total
                return out
            ''',
        "conv2d_backward": '''
            def conv2d_backward(dOut, X, K):
                n, c_in, H, W = np.shape(X)
                c_out, _, kh, kw = np.shape(K)
                dX = np.zeros((n, c_in, H, W))
                dK = np.zeros((c_out, c_in, kh, kw))
                db = np.zeros(c_out)
                for s in range(n):
                    for o in range(c_out):
                        for i in range(H - kh + 1):
                            for j in range(W - kw + 1):
                                g = dOut[s][o][i][j]
                                db[o] += g
                                for c in range(c_in):
                                    for u in range(kh):
                                        for v in range(kw):
                                            dK[o, c, u, v] += g * X[s][c][i + u][j + v]
                                            dX[s, c, i + u, j + v] += g * K[o][c][u][v]
                return dX, dK, db
            ''',
        "max_pool2d_backward": '''
            def max_pool2d_backward(dOut, X, size):
                if not isinstance(size, int) or size < 1:   # the course's own habit: clear errors
                    raise ValueError(f"size must be a positive int, got {size!r}")
                n, c, H, W = np.shape(X)
                dX = np.zeros((n, c, H, W))
                for s in range(n):
                    for ch in range(c):
                        for i in range(H // size):
                            for j in range(W // size):
                                best, where = None, None
                                for u in range(size):
                                    for v in range(size):
                                        value = X[s][ch][i * size + u][j * size + v]
                                        if best is None or value > best:
                                            best, where = value, (i * size + u, j * size + v)
                                dX[s, ch, where[0], where[1]] += dOut[s][ch][i][j]
                return dX
            ''',
        "rnn_backward": '''
            import math


            def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):
                T, n_hidden = len(hs), len(hs[0])
                n_in = len(xs[0])
                prev = [0.0] * n_hidden if h0 is None else list(h0)
                dxs = [[0.0] * n_in for _ in range(T)]
                dWx = [[0.0] * n_hidden for _ in range(n_in)]
                dWh = [[0.0] * n_hidden for _ in range(n_hidden)]
                db = [0.0] * n_hidden
                carry = [0.0] * n_hidden
                for t in range(T - 1, -1, -1):
                    da = [(dhs[t][k] + carry[k]) * (1.0 - hs[t][k] ** 2) for k in range(n_hidden)]
                    before = hs[t - 1] if t > 0 else prev
                    for i in range(n_in):
                        dxs[t][i] = sum(da[k] * Wx[i][k] for k in range(n_hidden))
                        for k in range(n_hidden):
                            dWx[i][k] += xs[t][i] * da[k]
                    for j in range(n_hidden):
                        for k in range(n_hidden):
                            dWh[j][k] += before[j] * da[k]
                    for k in range(n_hidden):
                        db[k] += da[k]
                    carry = [sum(da[k] * Wh[j][k] for k in range(n_hidden)) for j in range(n_hidden)]
                return (np.array(dxs), np.array(dWx), np.array(dWh), np.array(db),
                        np.array(carry))
            ''',
    },
    # einsum over sliding windows; dX scattered window by window; pooling routes to every tied
    # maximum (a different tie rule); BPTT collects the da_t, then sums with matrix products.
    "einsum_windows": {
        "conv2d_forward": '''
            from numpy.lib.stride_tricks import sliding_window_view


            def conv2d_forward(X, K, b):
                K = np.asarray(K, dtype=float)
                patches = sliding_window_view(np.asarray(X, dtype=float), K.shape[2:], axis=(2, 3))
                return np.einsum("ncijuv,ocuv->noij", patches, K) + np.asarray(b)[:, None, None]
            ''',
        "conv2d_backward": '''
            from numpy.lib.stride_tricks import sliding_window_view


            def conv2d_backward(dOut, X, K):
                dOut, X, K = (np.asarray(a, dtype=float) for a in (dOut, X, K))
                kh, kw = K.shape[2:]
                patches = sliding_window_view(X, (kh, kw), axis=(2, 3))
                dK = np.einsum("noij,ncijuv->ocuv", dOut, patches)
                contributions = np.einsum("noij,ocuv->ncijuv", dOut, K)
                dX = np.zeros_like(X)
                for u in range(kh):
                    for v in range(kw):
                        dX[:, :, u:u + dOut.shape[2], v:v + dOut.shape[3]] += contributions[..., u, v]
                return dX, dK, np.einsum("noij->o", dOut)
            ''',
        "max_pool2d_backward": '''
            def max_pool2d_backward(dOut, X, size):
                X = np.asarray(X, dtype=float)
                n, c, Ho, Wo = np.shape(dOut)
                blocks = X[:, :, :Ho * size, :Wo * size].reshape(n, c, Ho, size, Wo, size)
                top = blocks.max(axis=(3, 5), keepdims=True)
                tied = (blocks == top).sum(axis=(3, 5), keepdims=True)   # ties share dOut
                routed = np.where(blocks == top, np.asarray(dOut)[:, :, :, None, :, None] / tied, 0.0)
                dX = np.zeros_like(X)
                dX[:, :, :Ho * size, :Wo * size] = routed.reshape(n, c, Ho * size, Wo * size)
                return dX
            ''',
        "rnn_backward": '''
            def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):
                dhs, xs, hs, Wx, Wh = (np.asarray(a, dtype=float) for a in (dhs, xs, hs, Wx, Wh))
                start = np.zeros(hs.shape[1]) if h0 is None else np.asarray(h0, dtype=float)
                das = np.zeros_like(hs)
                flowing = np.zeros(hs.shape[1])
                for t in range(len(hs) - 1, -1, -1):
                    das[t] = (dhs[t] + flowing) * (1 - hs[t] * hs[t])
                    flowing = Wh @ das[t]
                previous = np.concatenate([start[None], hs[:-1]])
                return (das @ Wx.T, np.einsum("ti,tk->ik", xs, das),
                        np.einsum("tj,tk->jk", previous, das), das.sum(0), flowing)
            ''',
    },
    # tensordot over sliding windows; dX as the full convolution with the flipped kernel;
    # pooling by argmax with put_along_axis (the first maximum); column-vector BPTT (W^T h).
    "tensordot_flip": {
        "conv2d_forward": '''
            from numpy.lib.stride_tricks import sliding_window_view as windows


            def conv2d_forward(X, K, b):
                K = np.asarray(K, dtype=float)
                w = windows(np.asarray(X, dtype=float), K.shape[2:], axis=(2, 3))  # n, c, i, j, u, v
                out = np.tensordot(w, K, axes=([1, 4, 5], [1, 2, 3]))         # n, i, j, o
                return out.transpose(0, 3, 1, 2) + np.reshape(b, (1, -1, 1, 1))
            ''',
        "conv2d_backward": '''
            from numpy.lib.stride_tricks import sliding_window_view as windows


            def conv2d_backward(dOut, X, K):
                dOut, X, K = (np.asarray(a, dtype=float) for a in (dOut, X, K))
                kh, kw = K.shape[2:]
                dK = np.tensordot(dOut, windows(X, (kh, kw), axis=(2, 3)),
                                  axes=([0, 2, 3], [0, 2, 3]))                 # o, c, u, v
                padded = np.pad(dOut, [(0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)])
                full = windows(padded, (kh, kw), axis=(2, 3))                  # n, o, H, W, u, v
                dX = np.tensordot(full, K[:, :, ::-1, ::-1], axes=([1, 4, 5], [0, 2, 3]))
                return dX.transpose(0, 3, 1, 2), dK, dOut.sum(axis=(0, 2, 3))
            ''',
        "max_pool2d_backward": '''
            def max_pool2d_backward(dOut, X, size):
                X, dOut = np.asarray(X, dtype=float), np.asarray(dOut, dtype=float)
                n, c, Ho, Wo = dOut.shape
                tiles = (X[:, :, :Ho * size, :Wo * size].reshape(n, c, Ho, size, Wo, size)
                         .transpose(0, 1, 2, 4, 3, 5).reshape(n, c, Ho, Wo, size * size))
                grad_tiles = np.zeros_like(tiles)
                np.put_along_axis(grad_tiles, tiles.argmax(axis=-1)[..., None], dOut[..., None], axis=-1)
                dX = np.zeros_like(X)
                dX[:, :, :Ho * size, :Wo * size] = (grad_tiles.reshape(n, c, Ho, Wo, size, size)
                                                    .transpose(0, 1, 2, 4, 3, 5)
                                                    .reshape(n, c, Ho * size, Wo * size))
                return dX
            ''',
        "rnn_backward": '''
            def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):
                WxT, WhT = np.asarray(Wx, dtype=float).T, np.asarray(Wh, dtype=float).T
                T, H = np.shape(hs)
                h_start = np.zeros((H, 1)) if h0 is None else np.reshape(h0, (H, 1))
                dxs = np.zeros(np.shape(xs))
                dWxT, dWhT, db = np.zeros(WxT.shape), np.zeros(WhT.shape), np.zeros((H, 1))
                delta_h = np.zeros((H, 1))                      # column vectors, h_t = tanh(Wx^T x + Wh^T h)
                for t in reversed(range(T)):
                    h_t = np.reshape(hs[t], (H, 1))
                    delta_a = (np.reshape(dhs[t], (H, 1)) + delta_h) * (1 - h_t ** 2)
                    x_t = np.reshape(xs[t], (-1, 1))
                    h_before = np.reshape(hs[t - 1], (H, 1)) if t else h_start
                    dxs[t] = (WxT.T @ delta_a).ravel()
                    dWxT += delta_a @ x_t.T
                    dWhT += delta_a @ h_before.T
                    db += delta_a
                    delta_h = WhT.T @ delta_a
                return dxs, dWxT.T, dWhT.T, db.ravel(), delta_h.ravel()
            ''',
    },
    # scipy.signal.correlate/convolve per channel pair (a building block the notebook allows);
    # pooling splits the gradient equally among tied maxima (yet another tie rule).
    "scipy_signal": {
        "conv2d_forward": '''
            from scipy.signal import correlate


            def conv2d_forward(X, K, b):
                X, K = np.asarray(X, dtype=float), np.asarray(K, dtype=float)
                n, c_out = X.shape[0], K.shape[0]
                out = []
                for s in range(n):
                    maps = [sum(correlate(X[s, c], K[o, c], mode="valid") for c in range(X.shape[1])) + b[o]
                            for o in range(c_out)]
                    out.append(maps)
                return np.array(out)
            ''',
        "conv2d_backward": '''
            from scipy.signal import convolve, correlate


            def conv2d_backward(dOut, X, K):
                dOut, X, K = (np.asarray(a, dtype=float) for a in (dOut, X, K))
                n, c_in = X.shape[:2]
                c_out = K.shape[0]
                dX = np.zeros_like(X)
                dK = np.zeros_like(K)
                for s in range(n):
                    for o in range(c_out):
                        for c in range(c_in):
                            dK[o, c] += correlate(X[s, c], dOut[s, o], mode="valid")
                            dX[s, c] += convolve(dOut[s, o], K[o, c], mode="full")
                return dX, dK, dOut.sum(axis=(0, 2, 3))
            ''',
        "max_pool2d_backward": '''
            def max_pool2d_backward(dOut, X, size):
                X = np.asarray(X, dtype=float)
                dX = np.zeros(X.shape)
                for i in range(np.shape(dOut)[2]):
                    for j in range(np.shape(dOut)[3]):
                        win = X[:, :, i * size:(i + 1) * size, j * size:(j + 1) * size]
                        ties = (win == win.max(axis=(2, 3), keepdims=True)).astype(float)
                        share = ties / ties.sum(axis=(2, 3), keepdims=True)
                        dX[:, :, i * size:(i + 1) * size, j * size:(j + 1) * size] = (
                            share * np.asarray(dOut)[:, :, i, j][:, :, None, None])
                return dX
            ''',
        "rnn_backward": '''
            def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):
                hs = np.asarray(hs, dtype=float)
                h_init = np.zeros(hs.shape[1]) if h0 is None else np.asarray(h0, dtype=float)
                states = np.vstack([h_init, hs])                # states[t] = h_t, t = 0..T
                grads = {"xs": [], "Wx": 0.0, "Wh": 0.0, "b": 0.0}
                from_future = 0.0
                for t in range(len(hs), 0, -1):
                    d_pre = (np.asarray(dhs)[t - 1] + from_future) * (1 - states[t] ** 2)
                    grads["xs"].insert(0, np.dot(Wx, d_pre))
                    grads["Wx"] = grads["Wx"] + np.outer(xs[t - 1], d_pre)
                    grads["Wh"] = grads["Wh"] + np.outer(states[t - 1], d_pre)
                    grads["b"] = grads["b"] + d_pre
                    from_future = np.dot(Wh, d_pre)
                return (np.array(grads["xs"]), grads["Wx"], grads["Wh"], grads["b"],
                        from_future)
            ''',
    },
}


# A correct answer whose helpers share names with the test helpers (see tests.independent.OWN_HELPERS).
VARIANTS["own_helpers"] = with_own_helpers(VARIANTS["einsum_windows"], "conv2d_backward")


# Everything in float32, as deep-learning libraries compute it (the contract names no dtype).
VARIANTS["float32"] = {
    "conv2d_forward": '''
        from numpy.lib.stride_tricks import sliding_window_view


        def conv2d_forward(X, K, b):
            X, K, b = (np.asarray(a, dtype=np.float32) for a in (X, K, b))
            patches = sliding_window_view(X, K.shape[2:], axis=(2, 3))
            return np.einsum("ncijuv,ocuv->noij", patches, K) + b[:, None, None]
        ''',
    "conv2d_backward": '''
        def conv2d_backward(dOut, X, K):
            dOut, X, K = (np.asarray(a, dtype=np.float32) for a in (dOut, X, K))
            kh, kw = K.shape[2:]
            dX, dK = np.zeros_like(X), np.zeros_like(K)
            for i in range(dOut.shape[2]):
                for j in range(dOut.shape[3]):
                    g = dOut[:, :, i, j]
                    dK += np.einsum("no,nchw->ochw", g, X[:, :, i:i + kh, j:j + kw])
                    dX[:, :, i:i + kh, j:j + kw] += np.einsum("no,ochw->nchw", g, K)
            return dX, dK, dOut.sum(axis=(0, 2, 3), dtype=np.float32)
        ''',
    "max_pool2d_backward": '''
        def max_pool2d_backward(dOut, X, size):
            X, dOut = np.asarray(X, dtype=np.float32), np.asarray(dOut, dtype=np.float32)
            n, c, Ho, Wo = dOut.shape
            blocks = X[:, :, :Ho * size, :Wo * size].reshape(n, c, Ho, size, Wo, size)
            mask = blocks == blocks.max(axis=(3, 5), keepdims=True)
            # the last tied maximum in reading order takes dOut: mark only it
            flat = mask.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, Ho, Wo, size * size)
            last = size * size - 1 - flat[..., ::-1].argmax(axis=-1)
            flat = np.arange(size * size) == last[..., None]
            mask = flat.reshape(n, c, Ho, Wo, size, size).transpose(0, 1, 2, 4, 3, 5)
            dX = np.zeros_like(X)
            dX[:, :, :Ho * size, :Wo * size] = (mask * dOut[:, :, :, None, :, None]).reshape(
                n, c, Ho * size, Wo * size)
            return dX
        ''',
    "rnn_backward": '''
        def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):
            dhs, xs, hs, Wx, Wh = (np.asarray(a, dtype=np.float32) for a in (dhs, xs, hs, Wx, Wh))
            n_hidden = hs.shape[1]
            h0 = np.zeros(n_hidden, np.float32) if h0 is None else np.asarray(h0, dtype=np.float32)
            dxs, dWx, dWh = np.zeros_like(xs), np.zeros_like(Wx), np.zeros_like(Wh)
            db, dh = np.zeros(n_hidden, np.float32), np.zeros(n_hidden, np.float32)
            for t in reversed(range(len(hs))):
                da = (dhs[t] + dh) * (1 - hs[t] ** 2)
                dxs[t] = da @ Wx.T
                dWx += np.outer(xs[t], da)
                dWh += np.outer(hs[t - 1] if t > 0 else h0, da)
                db += da
                dh = da @ Wh.T
            return dxs, dWx, dWh, db, dh
        ''',
}


# The course's style (argument checks raising ValueError as the package's check_* helpers do,
# the chapter's names, the formula written the obvious way): written for the advisory flag of
# dlgrade.package_copy, which must stay silent on it (benchmarks/package_copy.py).
VARIANTS["course_style"] = {
    **VARIANTS["loops"],
    "max_pool2d_backward": '''
        def max_pool2d_backward(dOut, X, size):
            X = np.asarray(X, dtype=float)
            dOut = np.asarray(dOut, dtype=float)
            n, c, H, W = X.shape
            if dOut.shape != (n, c, H // size, W // size):
                raise ValueError(f"dOut has shape {dOut.shape}, expected "
                                 f"{(n, c, H // size, W // size)}")
            dX = np.zeros_like(X)
            for i in range(H // size):
                for j in range(W // size):
                    window = X[:, :, i * size:(i + 1) * size, j * size:(j + 1) * size]
                    top = window.max(axis=(2, 3), keepdims=True)
                    is_max = window == top
                    share = is_max / is_max.sum(axis=(2, 3), keepdims=True)
                    dX[:, :, i * size:(i + 1) * size, j * size:(j + 1) * size] += \
                        share * dOut[:, :, i:i + 1, j:j + 1]
            return dX
        ''',
}
