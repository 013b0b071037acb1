"""Realistic mistakes in exercise 08_multiclass: each costs only its function's points."""

# ruff: noqa: E501  (the sources are student-style solution cells, kept as written)

MISTAKES = [
    # one_hot
    dict(function="one_hot", why="labels treated as 1-based (column y - 1)",
         source="def one_hot(y, n_classes):\n"
                "    y = np.asarray(y)\n"
                "    Y = np.zeros((len(y), n_classes))\n"
                "    Y[np.arange(len(y)), y - 1] = 1\n"
                "    return Y\n"),
    dict(function="one_hot", why="number of columns from the labels seen, not n_classes",
         source="def one_hot(y, n_classes):\n"
                "    y = np.asarray(y)\n"
                "    return np.eye(y.max() + 1)[y]\n"),
    dict(function="one_hot", why="sets whole rows (Y[y] = 1) instead of one entry per row",
         source="def one_hot(y, n_classes):\n"
                "    Y = np.zeros((len(y), n_classes))\n"
                "    Y[np.asarray(y)] = 1\n"
                "    return Y\n"),
    # softmax
    dict(function="softmax", why="forgot to subtract the max: exp(1000) overflows to nan",
         source="def softmax(Z):\n"
                "    E = np.exp(Z)\n"
                "    return E / E.sum(axis=1, keepdims=True)\n"),
    dict(function="softmax", why="normalises over the wrong axis (columns sum to 1)",
         source="def softmax(Z):\n"
                "    E = np.exp(Z - Z.max(axis=0, keepdims=True))\n"
                "    return E / E.sum(axis=0, keepdims=True)\n"),
    dict(function="softmax", why="subtracts the maximum of the whole array, not of each row",
         source="def softmax(Z):\n"
                "    E = np.exp(Z - Z.max())\n"
                "    return E / E.sum(axis=1, keepdims=True)\n"),
    dict(function="softmax", why="subtracts the row maximum in place, changing the caller's Z",
         source="def softmax(Z):\n"
                "    Z -= Z.max(axis=1, keepdims=True)\n"
                "    E = np.exp(Z)\n"
                "    return E / E.sum(axis=1, keepdims=True)\n"),
    # softmax_cross_entropy
    dict(function="softmax_cross_entropy", why="sum over the samples instead of the mean",
         source="def softmax_cross_entropy(y, Z):\n"
                "    m = Z.max(axis=1, keepdims=True)\n"
                "    log_p = Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))\n"
                "    return float(-np.sum(log_p[np.arange(len(y)), y]))\n"),
    dict(function="softmax_cross_entropy", why="forgot to subtract the max (overflow for logits like 1000)",
         source="def softmax_cross_entropy(y, Z):\n"
                "    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))\n"
                "    return float(-np.mean(log_p[np.arange(len(y)), y]))\n"),
    dict(function="softmax_cross_entropy", why="log of clipped probabilities: wrong when the true class underflows",
         source="def softmax_cross_entropy(y, Z):\n"
                "    E = np.exp(Z - Z.max(axis=1, keepdims=True))\n"
                "    P = E / E.sum(axis=1, keepdims=True)\n"
                "    return float(-np.mean(np.log(np.clip(P[np.arange(len(y)), y], 1e-12, 1.0))))\n"),
    dict(function="softmax_cross_entropy", why="Z[:, y] picks an (n, n) block instead of one entry per row",
         source="def softmax_cross_entropy(y, Z):\n"
                "    m = Z.max(axis=1, keepdims=True)\n"
                "    log_p = Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))\n"
                "    return float(-np.mean(log_p[:, y]))\n"),
    # softmax_cross_entropy_grad
    dict(function="softmax_cross_entropy_grad", why="forgot the 1/n of the mean",
         source="def softmax_cross_entropy_grad(y, Z):\n"
                "    E = np.exp(Z - Z.max(axis=1, keepdims=True))\n"
                "    G = E / E.sum(axis=1, keepdims=True)\n"
                "    G[np.arange(len(y)), y] -= 1\n"
                "    return G\n"),
    dict(function="softmax_cross_entropy_grad", why="wrong sign (Y - softmax(Z)) / n",
         source="def softmax_cross_entropy_grad(y, Z):\n"
                "    E = np.exp(Z - Z.max(axis=1, keepdims=True))\n"
                "    P = E / E.sum(axis=1, keepdims=True)\n"
                "    Y = np.zeros_like(P)\n"
                "    Y[np.arange(len(y)), y] = 1\n"
                "    return (Y - P) / len(y)\n"),
    dict(function="softmax_cross_entropy_grad", why="softmax over the wrong axis inside the gradient",
         source="def softmax_cross_entropy_grad(y, Z):\n"
                "    E = np.exp(Z - Z.max(axis=0, keepdims=True))\n"
                "    P = E / E.sum(axis=0, keepdims=True)\n"
                "    P[np.arange(len(y)), y] -= 1\n"
                "    return P / len(y)\n"),
    dict(function="softmax_cross_entropy_grad", why="forgot to subtract the max (nan for logits like 1000)",
         source="def softmax_cross_entropy_grad(y, Z):\n"
                "    E = np.exp(Z)\n"
                "    P = E / E.sum(axis=1, keepdims=True)\n"
                "    P[np.arange(len(y)), y] -= 1\n"
                "    return P / len(y)\n"),
    # l2_penalty
    dict(function="l2_penalty", why="penalises the biases too",
         source="def l2_penalty(params, weight_decay):\n"
                "    return weight_decay / 2 * sum(np.sum(W ** 2) + np.sum(b ** 2) for W, b in params)\n"),
    dict(function="l2_penalty", why="penalty without the 1/2",
         source="def l2_penalty(params, weight_decay):\n"
                "    return weight_decay * sum(np.sum(W ** 2) for W, b in params)\n"),
    dict(function="l2_penalty", why="mean of the squared weights instead of the sum",
         source="def l2_penalty(params, weight_decay):\n"
                "    return weight_decay / 2 * sum(np.mean(W ** 2) for W, b in params)\n"),
    dict(function="l2_penalty", why="only the last layer's weights",
         source="def l2_penalty(params, weight_decay):\n"
                "    W, b = params[-1]\n"
                "    return weight_decay / 2 * np.sum(W ** 2)\n"),
    # l2_penalty_grad
    dict(function="l2_penalty_grad", why="gradient 2 * weight_decay * W (the 1/2 forgotten)",
         source="def l2_penalty_grad(params, weight_decay):\n"
                "    return [(2 * weight_decay * W, np.zeros_like(b)) for W, b in params]\n"),
    dict(function="l2_penalty_grad", why="gives the biases a gradient weight_decay * b",
         source="def l2_penalty_grad(params, weight_decay):\n"
                "    return [(weight_decay * W, weight_decay * b) for W, b in params]\n"),
    dict(function="l2_penalty_grad", why="a fixed decay of 0.1 instead of the weight_decay argument",
         source="def l2_penalty_grad(params, weight_decay):\n"
                "    return [(0.1 * W, np.zeros_like(b)) for W, b in params]\n"),
    # should_stop
    dict(function="should_stop", why="off by one: waits for more than patience epochs (> instead of >=)",
         source="def should_stop(val_losses, patience):\n"
                "    if len(val_losses) == 0:\n"
                "        return False\n"
                "    return len(val_losses) - 1 - int(np.argmin(val_losses)) > patience\n"),
    dict(function="should_stop", why="off by one: counts the best epoch itself as one without improvement",
         source="def should_stop(val_losses, patience):\n"
                "    if len(val_losses) == 0:\n"
                "        return False\n"
                "    return len(val_losses) - int(np.argmin(val_losses)) >= patience\n"),
    dict(function="should_stop", why="a tie counts as an improvement (last of equal minima)",
         source="def should_stop(val_losses, patience):\n"
                "    best_epoch, best = None, np.inf\n"
                "    for epoch, loss in enumerate(val_losses):\n"
                "        if loss <= best:\n"
                "            best_epoch, best = epoch, loss\n"
                "    return best_epoch is not None and len(val_losses) - 1 - best_epoch >= patience\n"),
    dict(function="should_stop", why="counts epochs in a row worse than the previous one, not since the best",
         source="def should_stop(val_losses, patience):\n"
                "    streak = 0\n"
                "    for previous, current in zip(val_losses[:-1], val_losses[1:]):\n"
                "        streak = streak + 1 if current >= previous else 0\n"
                "    return streak >= patience\n"),
    dict(function="should_stop", why="hard-codes the visible examples", fails="hidden",
         source="def should_stop(val_losses, patience):\n"
                "    answers = {((1.0, 0.8, 0.9, 0.95), 2): True, ((1.0, 0.8, 0.8, 0.8), 2): True,\n"
                "               ((1.0, 0.8, 0.9, 0.85, 0.95, 0.93), 3): True}\n"
                "    return answers.get((tuple(float(v) for v in val_losses), patience), False)\n"),
]

#: Where the course keeps a finished implementation of each function (importing it earns 0).
#: The L2 penalty and early stopping live in the exercise's checks module as test references.
PACKAGE_MODULES = {
    "one_hot": "dlcourse.data",
    "softmax": "dlcourse.activations",
    "softmax_cross_entropy": "dlcourse.losses",
    "softmax_cross_entropy_grad": "dlcourse.losses",
    "l2_penalty": "dlcourse.checks.ex08_multiclass",
    "l2_penalty_grad": "dlcourse.checks.ex08_multiclass",
    "should_stop": "dlcourse.checks.ex08_multiclass",
}
