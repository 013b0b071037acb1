"""Realistic mistakes in exercise 05_backprop; each must cost the points of its function only."""

_MLP_HEAD = (
    "def mlp_gradients(X, y, params, hidden_activation='relu'):\n"
    "    sig = lambda Z: 1.0 / (1.0 + np.exp(-Z))\n"
    "    g = {'relu': lambda Z: np.maximum(Z, 0), 'sigmoid': sig,\n"
    "         'tanh': np.tanh}[hidden_activation]\n"
    "    d = {'relu': lambda Z: (Z > 0) * 1.0, 'sigmoid': lambda Z: sig(Z) * (1 - sig(Z)),\n"
    "         'tanh': lambda Z: 1 - np.tanh(Z) ** 2}[hidden_activation]\n"
    "    n = X.shape[0]\n"
)

_TRAIN_HEAD = (
    "def train(X, y, layer_sizes, lr, n_epochs, rng=None):\n"
    "    rng = np.random.default_rng(rng)\n"
    "    y = np.asarray(y, dtype=float).reshape(-1, 1)\n"
    "    params = [(rng.normal(scale=0.5, size=(i, o)), np.zeros(o))\n"
    "              for i, o in zip(layer_sizes[:-1], layer_sizes[1:])]\n"
    "    losses = []\n"
    "    for epoch in range(n_epochs):\n"
    "        As, Zs = [X], []\n"
    "        for l, (W, b) in enumerate(params):\n"
    "            Zs.append(As[-1] @ W + b)\n"
    "            last = l == len(params) - 1\n"
    "            As.append(1 / (1 + np.exp(-Zs[-1])) if last else np.maximum(Zs[-1], 0))\n"
    "        p = As[-1]\n"
)

_TRAIN_BACKWARD = (
    "        dZ = (p - y) / len(X)\n"
    "        grads = []\n"
    "        for l in reversed(range(len(params))):\n"
    "            W, b = params[l]\n"
    "            grads.insert(0, (As[l].T @ dZ, dZ.sum(axis=0)))\n"
    "            if l > 0:\n"
    "                dZ = (dZ @ W.T) * (Zs[l - 1] > 0)\n"
)

_LOSS = "float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))"

MISTAKES = [
    dict(
        function="dense_backward",
        why="transposed weight gradient: dW = dZ.T @ X has shape (n_out, n_in)",
        source=(
            "def dense_backward(dZ, X, W):\n"
            "    return dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)\n"
        ),
    ),
    dict(
        function="dense_backward",
        why="bias gradient averaged over the samples instead of summed",
        source=(
            "def dense_backward(dZ, X, W):\n"
            "    return dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)\n"
        ),
    ),
    dict(
        function="mlp_gradients",
        why="missing activation derivative: dZ = dA instead of dA * g'(Z) in the hidden layers",
        source=_MLP_HEAD + (
            "    y = np.asarray(y, dtype=float).reshape(-1, 1)\n"
            "    As, Zs = [X], []\n"
            "    for l, (W, b) in enumerate(params):\n"
            "        Zs.append(As[-1] @ W + b)\n"
            "        As.append(sig(Zs[-1]) if l == len(params) - 1 else g(Zs[-1]))\n"
            "    p = As[-1]\n"
            f"    loss = {_LOSS}\n"
            "    dZ = (p - y) / n\n"
            "    grads = []\n"
            "    for l in reversed(range(len(params))):\n"
            "        W, b = params[l]\n"
            "        grads.insert(0, (As[l].T @ dZ, dZ.sum(axis=0)))\n"
            "        if l > 0:\n"
            "            dZ = dZ @ W.T\n"
            "    return loss, grads\n"
        ),
    ),
    dict(
        function="mlp_gradients",
        why="y of shape (n,) not reshaped: p - y broadcasts to an (n, n) matrix",
        source=_MLP_HEAD + (
            "    As, Zs = [X], []\n"
            "    for l, (W, b) in enumerate(params):\n"
            "        Zs.append(As[-1] @ W + b)\n"
            "        As.append(sig(Zs[-1]) if l == len(params) - 1 else g(Zs[-1]))\n"
            "    p = As[-1]\n"
            f"    loss = {_LOSS}\n"
            "    dZ = (p - y) / n\n"
            "    grads = []\n"
            "    for l in reversed(range(len(params))):\n"
            "        W, b = params[l]\n"
            "        grads.insert(0, (As[l].T @ dZ, dZ.sum(axis=0)))\n"
            "        if l > 0:\n"
            "            dZ = (dZ @ W.T) * d(Zs[l - 1])\n"
            "    return loss, grads\n"
        ),
    ),
    dict(
        function="mlp_gradients",
        why="sum instead of mean in the gradient: the output error is not divided by n_samples",
        source=_MLP_HEAD + (
            "    y = np.asarray(y, dtype=float).reshape(-1, 1)\n"
            "    As, Zs = [X], []\n"
            "    for l, (W, b) in enumerate(params):\n"
            "        Zs.append(As[-1] @ W + b)\n"
            "        As.append(sig(Zs[-1]) if l == len(params) - 1 else g(Zs[-1]))\n"
            "    p = As[-1]\n"
            f"    loss = {_LOSS}\n"
            "    dZ = p - y\n"
            "    grads = []\n"
            "    for l in reversed(range(len(params))):\n"
            "        W, b = params[l]\n"
            "        grads.insert(0, (As[l].T @ dZ, dZ.sum(axis=0)))\n"
            "        if l > 0:\n"
            "            dZ = (dZ @ W.T) * d(Zs[l - 1])\n"
            "    return loss, grads\n"
        ),
    ),
    dict(
        function="mlp_gradients",
        why="written for exactly one hidden layer (unpacks (W1, b1), (W2, b2)): passes the "
        "visible 2-3-1 checks, fails the hidden deeper networks",
        fails="hidden",
        source=(
            "def mlp_gradients(X, y, params, hidden_activation='relu'):\n"
            "    (W1, b1), (W2, b2) = params\n"
            "    g = {'relu': lambda Z: np.maximum(Z, 0), 'tanh': np.tanh,\n"
            "         'sigmoid': lambda Z: 1 / (1 + np.exp(-Z))}[hidden_activation]\n"
            "    y = np.asarray(y, dtype=float).reshape(-1, 1)\n"
            "    Z1 = X @ W1 + b1\n"
            "    A1 = g(Z1)\n"
            "    p = 1 / (1 + np.exp(-(A1 @ W2 + b2)))\n"
            f"    loss = {_LOSS}\n"
            "    dZ2 = (p - y) / len(X)\n"
            "    dA1 = dZ2 @ W2.T\n"
            "    if hidden_activation == 'relu':\n"
            "        dZ1 = dA1 * (Z1 > 0)\n"
            "    elif hidden_activation == 'tanh':\n"
            "        dZ1 = dA1 * (1 - A1 ** 2)\n"
            "    else:\n"
            "        dZ1 = dA1 * A1 * (1 - A1)\n"
            "    return loss, [(X.T @ dZ1, dZ1.sum(axis=0)), (A1.T @ dZ2, dZ2.sum(axis=0))]\n"
        ),
    ),
    # issue 22 item 16: correct central differences on a perturbed copy of x, which a function
    # that reads x itself (section 3's loss reading W1 through params) never sees
    dict(
        function="numerical_gradient",
        why="perturbs a copy of x (x + step): zeros for a function that reads x itself",
        source=(
            "def numerical_gradient(f, x, eps=1e-6):\n"
            "    grad = np.zeros(x.shape)\n"
            "    for i in range(x.size):\n"
            "        step = np.zeros(x.shape)\n"
            "        step.flat[i] = eps\n"
            "        grad.flat[i] = (f(x + step) - f(x - step)) / (2 * eps)\n"
            "    return grad\n"
        ),
    ),
    dict(
        function="numerical_gradient",
        why="perturbs and restores a working copy of x: zeros for a function that reads x itself",
        source=(
            "def numerical_gradient(f, x, eps=1e-6):\n"
            "    work = np.array(x, dtype=float, copy=True)\n"
            "    grad = np.empty_like(work)\n"
            "    for idx in np.ndindex(*work.shape):\n"
            "        keep = work[idx]\n"
            "        work[idx] = keep + eps\n"
            "        up = f(work)\n"
            "        work[idx] = keep - eps\n"
            "        down = f(work)\n"
            "        work[idx] = keep\n"
            "        grad[idx] = (up - down) / (2 * eps)\n"
            "    return grad\n"
        ),
    ),
    dict(
        function="numerical_gradient",
        why="one-sided (forward) difference instead of the central difference",
        source=(
            "def numerical_gradient(f, x, eps=1e-6):\n"
            "    grad = np.zeros_like(x, dtype=float)\n"
            "    fx = f(x)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        old = x[i]\n"
            "        x[i] = old + eps\n"
            "        grad[i] = (f(x) - fx) / eps\n"
            "        x[i] = old\n"
            "    return grad\n"
        ),
    ),
    dict(
        function="numerical_gradient",
        why="never puts the perturbed entries back, so x has changed afterwards",
        source=(
            "def numerical_gradient(f, x, eps=1e-6):\n"
            "    grad = np.zeros_like(x, dtype=float)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        x[i] += eps\n"
            "        f_plus = f(x)\n"
            "        x[i] -= 2 * eps\n"
            "        f_minus = f(x)\n"
            "        grad[i] = (f_plus - f_minus) / (2 * eps)\n"
            "    return grad\n"
        ),
    ),
    dict(
        function="numerical_gradient",
        why="perturbs x in place but undoes the perturbations only at the end (x comes back "
            "restored, but every later partial derivative is taken at a shifted point)",
        fails="hidden",
        source=(
            "def numerical_gradient(f, x, eps=1e-6):\n"
            "    saved = x.copy()\n"
            "    grad = np.zeros(x.shape)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        x[i] += eps\n"
            "        f_plus = f(x)\n"
            "        x[i] -= 2 * eps\n"
            "        f_minus = f(x)\n"
            "        grad[i] = (f_plus - f_minus) / (2 * eps)\n"
            "    x[...] = saved\n"
            "    return grad\n"
        ),
    ),
    dict(
        function="train",
        why="flipped sign of the update (gradient ascent: W + lr * dW)",
        source=_TRAIN_HEAD + f"        losses.append({_LOSS})\n" + _TRAIN_BACKWARD + (
            "        params = [(W + lr * dW, b + lr * db)\n"
            "                  for (W, b), (dW, db) in zip(params, grads)]\n"
            "    return params, losses\n"
        ),
    ),
    dict(
        function="train",
        why="records the loss after the update instead of before it",
        source=_TRAIN_HEAD + _TRAIN_BACKWARD + (
            "        params = [(W - lr * dW, b - lr * db)\n"
            "                  for (W, b), (dW, db) in zip(params, grads)]\n"
            "        A = X\n"
            "        for W, b in params[:-1]:\n"
            "            A = np.maximum(A @ W + b, 0)\n"
            "        p = 1 / (1 + np.exp(-(A @ params[-1][0] + params[-1][1])))\n"
            f"        losses.append({_LOSS})\n"
            "    return params, losses\n"
        ),
    ),
]

#: Where the package keeps its own implementation of each function (importing it earns 0).
PACKAGE_MODULES = {
    "dense_backward": "dlcourse.layers",
    "mlp_gradients": "dlcourse.mlp",
    "numerical_gradient": "dlcourse.gradcheck",
    "train": "dlcourse.mlp",
}
