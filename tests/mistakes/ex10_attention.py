"""Realistic mistakes in exercise 10_attention: each costs only its function's points."""

# ruff: noqa: E501  (the sources are student-style solution cells, kept as written)

_SOFTMAX_ROWS = (
    "    m = S.max(axis=-1, keepdims=True)\n"
    "    m = np.where(np.isfinite(m), m, 0.0)\n"
    "    E = np.exp(S - m)\n"
    "    t = E.sum(axis=-1, keepdims=True)\n"
    "    A = E / np.where(t > 0, t, 1.0)\n"
)

MISTAKES = [
    dict(
        function="causal_mask",
        why="True and False swapped (True marks the blocked future)",
        source="def causal_mask(n):\n    return np.triu(np.ones((n, n), dtype=bool), k=1)\n",
    ),
    dict(
        function="causal_mask",
        why="the upper triangle: each position sees the future",
        source="def causal_mask(n):\n    return np.triu(np.ones((n, n), dtype=bool))\n",
    ),
    dict(
        function="causal_mask",
        why="strict lower triangle: a position may not attend to itself",
        source="def causal_mask(n):\n    return np.tril(np.ones((n, n), dtype=bool), k=-1)\n",
    ),
    dict(
        function="causal_mask",
        why="a float matrix of 0s and 1s, not a boolean one",
        source="def causal_mask(n):\n    return np.tril(np.ones((n, n)))\n",
    ),
    dict(
        function="scaled_dot_product_attention",
        why="forgets to divide the scores by sqrt(d_k)",
        source=(
            "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    S = Q @ np.swapaxes(K, -1, -2)\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -np.inf)\n"
            + _SOFTMAX_ROWS +
            "    return A @ V, A\n"
        ),
    ),
    dict(
        function="scaled_dot_product_attention",
        why="divides the scores by d_k instead of sqrt(d_k)",
        source=(
            "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / Q.shape[-1]\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -np.inf)\n"
            + _SOFTMAX_ROWS +
            "    return A @ V, A\n"
        ),
    ),
    dict(
        function="scaled_dot_product_attention",
        why="softmax over the queries (axis -2) instead of the keys",
        source=(
            "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -np.inf)\n"
            "    m = S.max(axis=-2, keepdims=True)\n"
            "    E = np.exp(S - np.where(np.isfinite(m), m, 0.0))\n"
            "    t = E.sum(axis=-2, keepdims=True)\n"
            "    A = E / np.where(t > 0, t, 1.0)\n"
            "    return A @ V, A\n"
        ),
    ),
    dict(
        function="scaled_dot_product_attention",
        why="no max-subtraction: exp overflows for large scores",
        source=(
            "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])\n"
            "    E = np.exp(S)\n"
            "    if mask is not None:\n"
            "        E = np.where(mask, E, 0.0)\n"
            "    t = E.sum(axis=-1, keepdims=True)\n"
            "    A = E / np.where(t > 0, t, 1.0)\n"
            "    return A @ V, A\n"
        ),
    ),
    dict(
        function="scaled_dot_product_attention",
        why="the mask's meaning swapped: True entries blocked",
        source=(
            "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, -np.inf, S)\n"
            + _SOFTMAX_ROWS +
            "    return A @ V, A\n"
        ),
    ),
    dict(
        function="scaled_dot_product_attention",
        why="masks after the softmax: the rows no longer sum to 1",
        source=(
            "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])\n"
            "    E = np.exp(S - S.max(axis=-1, keepdims=True))\n"
            "    A = E / E.sum(axis=-1, keepdims=True)\n"
            "    if mask is not None:\n"
            "        A = A * mask\n"
            "    return A @ V, A\n"
        ),
    ),
    dict(
        function="scaled_dot_product_attention",
        why="-inf scores and max-subtraction, but nan for a query with no allowed key",
        source=(
            "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -np.inf)\n"
            "    E = np.exp(S - S.max(axis=-1, keepdims=True))\n"
            "    A = E / E.sum(axis=-1, keepdims=True)\n"
            "    return A @ V, A\n"
        ),
    ),
    dict(
        function="scaled_dot_product_attention",
        why="masks with -1e9: a query with no allowed key gets even weights, not zeros",
        source=(
            "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -1e9)\n"
            "    E = np.exp(S - S.max(axis=-1, keepdims=True))\n"
            "    A = E / E.sum(axis=-1, keepdims=True)\n"
            "    return A @ V, A\n"
        ),
    ),
    dict(
        function="scaled_dot_product_attention",
        why="K.T reverses every axis of a batch",
        source=(
            "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    S = Q @ K.T / np.sqrt(Q.shape[-1])\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -np.inf)\n"
            + _SOFTMAX_ROWS +
            "    return A @ V, A\n"
        ),
    ),
    dict(
        function="scaled_dot_product_attention",
        why="boolean indexing S[~mask] does not broadcast a shared mask over the batch",
        source=(
            "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])\n"
            "    if mask is not None:\n"
            "        S[~mask] = -np.inf\n"
            + _SOFTMAX_ROWS +
            "    return A @ V, A\n"
        ),
    ),
    dict(
        function="scaled_dot_product_attention",
        why="written for at most one batch axis (fails only on 4-D inputs: hidden tests)",
        fails="hidden",
        source=(
            "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    KT = K.T if K.ndim == 2 else K.transpose(0, 2, 1)\n"
            "    S = Q @ KT / np.sqrt(Q.shape[-1])\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -np.inf)\n"
            + _SOFTMAX_ROWS +
            "    return A @ V, A\n"
        ),
    ),
    dict(
        function="attention_backward",
        why="only the diagonal of the softmax Jacobian: dS = dA * A * (1 - A)",
        source=(
            "def attention_backward(dOut, Q, K, V, mask=None):\n"
            "    d_k = Q.shape[-1]\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k)\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -np.inf)\n"
            + _SOFTMAX_ROWS +
            "    dV = np.swapaxes(A, -1, -2) @ dOut\n"
            "    dS = (dOut @ np.swapaxes(V, -1, -2)) * A * (1 - A)\n"
            "    return dS @ K / np.sqrt(d_k), np.swapaxes(dS, -1, -2) @ Q / np.sqrt(d_k), dV\n"
        ),
    ),
    dict(
        function="attention_backward",
        why="forgets the 1 / sqrt(d_k) in dQ and dK",
        source=(
            "def attention_backward(dOut, Q, K, V, mask=None):\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -np.inf)\n"
            + _SOFTMAX_ROWS +
            "    dV = np.swapaxes(A, -1, -2) @ dOut\n"
            "    dA = dOut @ np.swapaxes(V, -1, -2)\n"
            "    dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True))\n"
            "    return dS @ K, np.swapaxes(dS, -1, -2) @ Q, dV\n"
        ),
    ),
    dict(
        function="attention_backward",
        why="the softmax backward's sum over the wrong axis (over the queries)",
        source=(
            "def attention_backward(dOut, Q, K, V, mask=None):\n"
            "    d_k = Q.shape[-1]\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k)\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -np.inf)\n"
            + _SOFTMAX_ROWS +
            "    dV = np.swapaxes(A, -1, -2) @ dOut\n"
            "    dA = dOut @ np.swapaxes(V, -1, -2)\n"
            "    dS = A * (dA - (dA * A).sum(axis=-2, keepdims=True))\n"
            "    return dS @ K / np.sqrt(d_k), np.swapaxes(dS, -1, -2) @ Q / np.sqrt(d_k), dV\n"
        ),
    ),
    dict(
        function="attention_backward",
        why="recomputes the weights without the mask",
        source=(
            "def attention_backward(dOut, Q, K, V, mask=None):\n"
            "    d_k = Q.shape[-1]\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k)\n"
            + _SOFTMAX_ROWS +
            "    dV = np.swapaxes(A, -1, -2) @ dOut\n"
            "    dA = dOut @ np.swapaxes(V, -1, -2)\n"
            "    dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True))\n"
            "    return dS @ K / np.sqrt(d_k), np.swapaxes(dS, -1, -2) @ Q / np.sqrt(d_k), dV\n"
        ),
    ),
    dict(
        function="attention_backward",
        why="dV = A @ dOut: A not transposed",
        source=(
            "def attention_backward(dOut, Q, K, V, mask=None):\n"
            "    d_k = Q.shape[-1]\n"
            "    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k)\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -np.inf)\n"
            + _SOFTMAX_ROWS +
            "    dV = A @ dOut\n"
            "    dA = dOut @ np.swapaxes(V, -1, -2)\n"
            "    dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True))\n"
            "    return dS @ K / np.sqrt(d_k), np.swapaxes(dS, -1, -2) @ Q / np.sqrt(d_k), dV\n"
        ),
    ),
    dict(
        function="attention_backward",
        why="scales Q in place (Q /= sqrt(d_k)): the caller's array changes",
        source=(
            "def attention_backward(dOut, Q, K, V, mask=None):\n"
            "    d_k = Q.shape[-1]\n"
            "    Q /= np.sqrt(d_k)\n"
            "    S = Q @ np.swapaxes(K, -1, -2)\n"
            "    if mask is not None:\n"
            "        S = np.where(mask, S, -np.inf)\n"
            + _SOFTMAX_ROWS +
            "    dV = np.swapaxes(A, -1, -2) @ dOut\n"
            "    dA = dOut @ np.swapaxes(V, -1, -2)\n"
            "    dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True))\n"
            "    return dS @ K / np.sqrt(d_k), np.swapaxes(dS, -1, -2) @ Q, dV\n"
        ),
    ),
    dict(
        function="layernorm_forward",
        why="the unbiased variance (ddof=1)",
        source=(
            "def layernorm_forward(X, gamma, beta, eps=1e-5):\n"
            "    mean = X.mean(axis=-1, keepdims=True)\n"
            "    var = X.var(axis=-1, ddof=1, keepdims=True)\n"
            "    return gamma * (X - mean) / np.sqrt(var + eps) + beta\n"
        ),
    ),
    dict(
        function="layernorm_forward",
        why="eps outside the square root: std + eps",
        source=(
            "def layernorm_forward(X, gamma, beta, eps=1e-5):\n"
            "    mean = X.mean(axis=-1, keepdims=True)\n"
            "    return gamma * (X - mean) / (X.std(axis=-1, keepdims=True) + eps) + beta\n"
        ),
    ),
    dict(
        function="layernorm_forward",
        why="normalises over the samples (axis 0), as batch norm does",
        source=(
            "def layernorm_forward(X, gamma, beta, eps=1e-5):\n"
            "    mean = X.mean(axis=0, keepdims=True)\n"
            "    var = X.var(axis=0, keepdims=True)\n"
            "    return gamma * (X - mean) / np.sqrt(var + eps) + beta\n"
        ),
    ),
    dict(
        function="layernorm_forward",
        why="ignores the eps argument (always 1e-5)",
        source=(
            "def layernorm_forward(X, gamma, beta, eps=1e-5):\n"
            "    mean = X.mean(axis=-1, keepdims=True)\n"
            "    var = X.var(axis=-1, keepdims=True)\n"
            "    return gamma * (X - mean) / np.sqrt(var + 1e-5) + beta\n"
        ),
    ),
    dict(
        function="layernorm_forward",
        why="one mean and variance for the whole array",
        source=(
            "def layernorm_forward(X, gamma, beta, eps=1e-5):\n"
            "    return gamma * (X - X.mean()) / np.sqrt(X.var() + eps) + beta\n"
        ),
    ),
]

#: Where the package keeps its own implementation of each function (importing it earns 0).
PACKAGE_MODULES = {
    "causal_mask": "dlcourse.attention",
    "scaled_dot_product_attention": "dlcourse.attention",
    "attention_backward": "dlcourse.attention",
    "layernorm_forward": "dlcourse.normalization",
}
