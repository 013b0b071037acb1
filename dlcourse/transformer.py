"""A small decoder-only transformer for token sequences, trained by backpropagation.

The model reads a sequence of token ids ``x_1 .. x_T`` and predicts, at every position
``t``, the next token ``x_{t+1}`` from ``x_1 .. x_t`` only (a causal mask):

    H = E[X] + P[:T]                                   token + learned position embeddings
    for each block:                                    pre-norm residual blocks
        H = H + MultiHeadAttention(LayerNorm1(H))      (causal)
        H = H + relu(LayerNorm2(H) @ W1 + b1) @ W2 + b2
    logits = LayerNorm(H) @ W_out + b_out

and is trained on the mean softmax cross-entropy of the next-token predictions over
every position of every sequence. It is composed of the package's pure functions:
:mod:`dlcourse.attention` and :mod:`dlcourse.normalization`. The residual additions
pass the gradient through unchanged, so backpropagation through a block adds the
gradients of its two branches to the gradient of ``H``.

``params`` is a dict of named arrays (see :func:`transformer_shapes`): ``E``, ``P``,
for each block ``l`` the entries ``block{l}.ln1_gamma``, ``.ln1_beta``, ``.Wq``,
``.Wk``, ``.Wv``, ``.Wo``, ``.ln2_gamma``, ``.ln2_beta``, ``.W1``, ``.b1``, ``.W2``,
``.b2``, and the final ``ln_gamma``, ``ln_beta``, ``W_out``, ``b_out``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import check_positive_int
from .attention import _mha_backward, _mha_forward, causal_mask
from .data import as_rng
from .estimator import Estimator, train_minibatches
from .losses import _softmax_cross_entropy_and_grad
from .normalization import _layernorm_backward, _layernorm_forward

__all__ = [
    "DEFAULTS",
    "Transformer",
    "attention_caches",
    "init_transformer_params",
    "transformer_backward",
    "transformer_forward",
    "transformer_shapes",
]

BLOCK_NAMES = (
    "ln1_gamma", "ln1_beta", "Wq", "Wk", "Wv", "Wo",
    "ln2_gamma", "ln2_beta", "W1", "b1", "W2", "b2",
)  # fmt: skip


def transformer_shapes(vocab_size, max_len, d_model, n_layers, d_ff):
    """The name and shape of every parameter, in a fixed order.

    Examples
    --------
    >>> shapes = transformer_shapes(11, 12, 32, 2, 64)
    >>> shapes["E"], shapes["block1.W1"], shapes["W_out"]
    ((11, 32), (32, 64), (32, 11))
    """
    d = d_model
    shapes = {"E": (vocab_size, d), "P": (max_len, d)}
    block = {
        "ln1_gamma": (d,), "ln1_beta": (d,),
        "Wq": (d, d), "Wk": (d, d), "Wv": (d, d), "Wo": (d, d),
        "ln2_gamma": (d,), "ln2_beta": (d,),
        "W1": (d, d_ff), "b1": (d_ff,), "W2": (d_ff, d), "b2": (d,),
    }  # fmt: skip
    for layer in range(n_layers):
        shapes.update({f"block{layer}.{name}": block[name] for name in BLOCK_NAMES})
    shapes.update(
        {"ln_gamma": (d,), "ln_beta": (d,), "W_out": (d, vocab_size), "b_out": (vocab_size,)}
    )
    return shapes


def init_transformer_params(shapes, rng=None):
    """Initial parameters: embeddings ``N(0, 1)`` (PyTorch's ``nn.Embedding``), weight
    matrices Glorot-uniform, layer-norm scales 1, every shift and bias 0.

    Parameters
    ----------
    shapes : dict name -> shape, from :func:`transformer_shapes`
    rng : None, int or numpy.random.Generator

    Returns
    -------
    params : dict name -> ndarray
    """
    gen = as_rng(rng)
    params = {}
    for name, shape in shapes.items():
        short = name.rsplit(".", 1)[-1]
        if short in ("E", "P"):
            params[name] = gen.normal(0.0, 1.0, size=shape)
        elif len(shape) == 2:
            r = np.sqrt(6.0 / sum(shape))
            params[name] = gen.uniform(-r, r, size=shape)
        elif short.endswith("gamma"):
            params[name] = np.ones(shape)
        else:
            params[name] = np.zeros(shape)
    return params


# ----------------------------------------------------------------------------- forward, backward


def _block_params(params, layer):
    return [params[f"block{layer}.{name}"] for name in BLOCK_NAMES]


def transformer_forward(X, params, n_heads, n_layers):
    """Logits of the next token at every position, and the cache for backpropagation.

    No argument checks (the :class:`Transformer` checks once). Inside, the residual
    stream ``H`` is one ``(n_samples * T, d_model)`` matrix (a row per token), so every
    dense layer is a single 2-D product; attention sees it as ``(n_samples, T, d_model)``.

    Parameters
    ----------
    X : ndarray of int, shape (n_samples, T), token ids, ``T <= max_len``
    params : dict, see the module docstring
    n_heads, n_layers : int

    Returns
    -------
    logits : ndarray of shape (n_samples, T, vocab_size)
    cache : tuple, what :func:`transformer_backward` needs
    """
    n, T = X.shape
    d = params["E"].shape[1]
    mask = causal_mask(T)
    H = (params["E"][X] + params["P"][:T]).reshape(n * T, d)
    block_caches = []
    for layer in range(n_layers):
        g1, be1, Wq, Wk, Wv, Wo, g2, be2, W1, b1, W2, b2 = _block_params(params, layer)
        A_in, ln1 = _layernorm_forward(H, g1, be1)
        att, _, mha = _mha_forward(A_in.reshape(n, T, d), Wq, Wk, Wv, Wo, n_heads, mask)
        H = H + att.reshape(n * T, d)
        M, ln2 = _layernorm_forward(H, g2, be2)
        R = M @ W1
        R += b1
        np.maximum(R, 0.0, out=R)  # ReLU
        F = R @ W2
        F += b2
        H += F  # H is this function's own array here
        block_caches.append((ln1, mha, ln2, M, R))
    U, ln_final = _layernorm_forward(H, params["ln_gamma"], params["ln_beta"])
    logits = U @ params["W_out"]
    logits += params["b_out"]
    return logits.reshape(n, T, -1), (X, block_caches, ln_final, U)


def attention_caches(cache):
    """Every block's multi-head attention cache, from the cache of :func:`transformer_forward`.

    Returns
    -------
    caches : list of :class:`dlcourse.attention.MHACache`, one per block, first block first;
        ``caches[l].A`` of shape (n_samples, n_heads, T, T) holds block ``l``'s attention
        weights and ``caches[l].V`` (n_samples, n_heads, T, d_head) its values.

    Examples
    --------
    >>> model = Transformer(vocab_size=5, max_len=4, d_model=8, n_heads=2)
    >>> _, cache = transformer_forward(np.array([[1, 2, 3]]), model.params, 2, 2)
    >>> [c.A.shape for c in attention_caches(cache)]
    [(1, 2, 3, 3), (1, 2, 3, 3)]
    """
    return [block_cache[1] for block_cache in cache[1]]


def transformer_backward(dlogits, cache, params, n_heads, n_layers):
    """Gradients of the loss for every parameter from ``dlogits = dL/dlogits``.

    Parameters
    ----------
    dlogits : ndarray of shape (n_samples, T, vocab_size)
    cache : from :func:`transformer_forward`
    params : dict
    n_heads, n_layers : int

    Returns
    -------
    grads : dict, the same names and shapes as ``params``
    """
    X, block_caches, ln_final, U = cache
    n, T = X.shape
    d = U.shape[-1]
    ones = np.ones(n * T)  # sums over the tokens as products: faster than np.sum here
    grads = {}
    dl2 = dlogits.reshape(n * T, -1)
    grads["W_out"] = U.T @ dl2
    grads["b_out"] = ones @ dl2
    dH, grads["ln_gamma"], grads["ln_beta"] = _layernorm_backward(
        dl2 @ params["W_out"].T, ln_final, params["ln_gamma"]
    )
    for layer in range(n_layers - 1, -1, -1):
        g1, _, _, _, _, Wo, g2, _, W1, _, W2, _ = _block_params(params, layer)
        ln1, mha, ln2, M, R = block_caches[layer]
        p = f"block{layer}."
        # feed-forward branch: H = H + relu(M @ W1 + b1) @ W2 + b2; dL/dF = dH
        grads[p + "W2"] = R.T @ dH
        grads[p + "b2"] = ones @ dH
        dR = dH @ W2.T
        dR *= R > 0  # back through the ReLU
        grads[p + "W1"] = M.T @ dR
        grads[p + "b1"] = ones @ dR
        dH_ln2, grads[p + "ln2_gamma"], grads[p + "ln2_beta"] = _layernorm_backward(
            dR @ W1.T, ln2, g2
        )
        dH = dH + dH_ln2
        # attention branch: H = H + MHA(LayerNorm1(H))
        dA_in, dWq, dWk, dWv, dWo = _mha_backward(dH.reshape(n, T, d), Wo, mha)
        grads.update({p + "Wq": dWq, p + "Wk": dWk, p + "Wv": dWv, p + "Wo": dWo})
        dH_ln1, grads[p + "ln1_gamma"], grads[p + "ln1_beta"] = _layernorm_backward(
            dA_in.reshape(n * T, d), ln1, g1
        )
        dH += dH_ln1  # dH is this function's own array here
    # embeddings: H = E[X] + P[:T]
    dP = np.zeros_like(params["P"])
    dP[:T] = (np.ones(n) @ dH.reshape(n, T * d)).reshape(T, d)
    one_hot = (X.reshape(-1, 1) == np.arange(params["E"].shape[0])).astype(np.float64)
    grads["E"] = one_hot.T @ dH
    grads["P"] = dP
    return {name: grads[name] for name in params}


def _loss_and_grads(X, y, params, n_heads, n_layers):
    """Mean next-token cross-entropy over all positions, and its gradients."""
    logits, cache = transformer_forward(X, params, n_heads, n_layers)
    vocab = logits.shape[-1]
    loss, dl2 = _softmax_cross_entropy_and_grad(y.reshape(-1), logits.reshape(-1, vocab))
    return loss, transformer_backward(dl2.reshape(logits.shape), cache, params, n_heads, n_layers)


# ----------------------------------------------------------------------------- the class

#: Default ``(lr, n_epochs)`` of :meth:`Transformer.fit` by optimizer, with mini-batches of
#: :data:`DEFAULT_BATCH_SIZE`.
#:
#: Adam's were chosen on the sorting task (``make_sort_task(10000, seed=s)``,
#: ``Transformer(11, 12)``, seeds 0-2, 1000 held-out inputs; ``benchmarks/transformer.py``):
#: after 10 epochs at lr 3e-3 greedy generation writes at least 99.9 % of the sorted answers
#: right for every seed (after 3 epochs of seed 0, 97.6 %). The entries for AdamW (Adam's
#: settings; it needs an ``"adamw"`` in :data:`dlcourse.optim.OPTIMIZERS`), momentum and
#: plain gradient descent are untuned starting points.
DEFAULTS = {"adam": (3e-3, 10), "adamw": (3e-3, 10), "momentum": (0.03, 10), "gd": (0.1, 10)}

#: Default mini-batch size of :meth:`Transformer.fit`.
DEFAULT_BATCH_SIZE = 64


class Transformer(Estimator):
    """A decoder-only (causal) transformer over token ids: next-token prediction.

    Parameters
    ----------
    vocab_size : int >= 2, the number of token ids ``0 .. vocab_size - 1``
    max_len : int >= 1, the longest sequence the model reads (positions it embeds)
    d_model : int, default 32, the width of the residual stream
    n_heads : int, default 4, a divisor of ``d_model``
    n_layers : int, default 2, the number of blocks
    d_ff : int, default 64, the hidden width of each block's feed-forward network
    seed : int, default 0
        Seeds the initial weights and the shuffling of the mini-batches.

    Attributes
    ----------
    params : dict name -> ndarray, see :func:`transformer_shapes`
    loss_history_ : ndarray of shape (n_epochs,)
        After :meth:`fit`: each epoch's mean training loss over its batches (each taken
        before its batch's update).
    val_loss_history_ : ndarray or None
        After :meth:`fit` with ``validation_data``: the validation loss after each epoch.
    best_epoch_ : int or None

    Examples
    --------
    >>> from dlcourse.data import make_sort_task
    >>> X, y = make_sort_task(200, length=3, n_symbols=4)
    >>> model = Transformer(vocab_size=5, max_len=6, d_model=8, n_heads=2, d_ff=16)
    >>> model.fit(X, y, n_epochs=2).predict(X[:2]).shape
    (2, 6)
    >>> model.generate(X[0, :4], 3, temperature=0).shape  # the prompt and 3 new tokens
    (7,)
    """

    DEFAULTS = DEFAULTS

    def __init__(self, vocab_size, max_len, d_model=32, n_heads=4, n_layers=2, d_ff=64, seed=0):
        self.vocab_size = check_positive_int(vocab_size, "vocab_size", minimum=2)
        self.max_len = check_positive_int(max_len, "max_len")
        self.d_model = check_positive_int(d_model, "d_model")
        self.n_heads = check_positive_int(n_heads, "n_heads")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"n_heads is {n_heads}, expected a divisor of d_model = {d_model}: every head "
                "gets d_model // n_heads columns"
            )
        self.n_layers = check_positive_int(n_layers, "n_layers")
        self.d_ff = check_positive_int(d_ff, "d_ff")
        self.seed = seed
        self._rng = as_rng(seed)
        self.shapes = transformer_shapes(
            self.vocab_size, self.max_len, self.d_model, self.n_layers, self.d_ff
        )
        self.params = init_transformer_params(self.shapes, self._rng)

    def __repr__(self):
        return (
            f"Transformer(vocab_size={self.vocab_size}, max_len={self.max_len}, "
            f"d_model={self.d_model}, n_heads={self.n_heads}, n_layers={self.n_layers}, "
            f"d_ff={self.d_ff}, seed={self.seed})"
        )

    @property
    def n_parameters(self):
        """Number of weights, biases, embeddings and layer-norm scales and shifts."""
        return sum(int(np.prod(s)) for s in self.shapes.values())

    # --------------------------------------------------------------------- checks

    def _checked_params(self):
        params = self.params
        if not isinstance(params, dict) or set(params) != set(self.shapes):
            raise ValueError(
                f"params must be a dict with the keys {sorted(self.shapes)}, "
                f"got {type(params).__name__}"
                + (f" with keys {sorted(params)}" if isinstance(params, dict) else "")
            )
        checked = {}
        for name, shape in self.shapes.items():
            a = np.asarray(params[name], dtype=np.float64)
            if a.shape != shape:
                raise ValueError(f"params[{name!r}] has shape {a.shape}, expected {shape}")
            if not np.all(np.isfinite(a)):
                raise ValueError(f"params[{name!r}] contains NaN or infinite values")
            checked[name] = a
        return checked

    def _check_tokens(self, X, name="X", ndim=2):
        arr = np.asarray(X)
        what = "(n_samples, T)" if ndim == 2 else "(T,)"
        if arr.ndim != ndim or 0 in arr.shape:
            raise ValueError(
                f"{name} has shape {arr.shape}, expected a non-empty {ndim}-D array {what} "
                "of token ids"
            )
        if arr.shape[-1] > self.max_len:
            raise ValueError(
                f"{name} has shape {arr.shape}: sequences of {arr.shape[-1]} tokens, expected "
                f"at most max_len = {self.max_len}"
            )
        if arr.dtype.kind not in "iuf" or (arr.dtype.kind == "f" and np.any(arr != np.round(arr))):
            raise ValueError(f"{name} must hold integer token ids, got dtype {arr.dtype}")
        if arr.min() < 0 or arr.max() >= self.vocab_size:
            bad = np.unique(arr[(arr < 0) | (arr >= self.vocab_size)])[:5]
            raise ValueError(
                f"{name} must hold token ids 0 to {self.vocab_size - 1}, got values such as "
                f"{bad.tolist()}"
            )
        return arr.astype(np.intp)

    def _check_pair(self, X, y, names=("X", "y")):
        X = self._check_tokens(X, names[0])
        y = self._check_tokens(y, names[1])
        if y.shape != X.shape:
            raise ValueError(
                f"{names[1]} has shape {y.shape}, expected {X.shape} like {names[0]}: the next "
                "token at every position"
            )
        return X, y

    # --------------------------------------------------------------------- prediction

    def _logits(self, X):
        return transformer_forward(X, self._checked_params(), self.n_heads, self.n_layers)[0]

    def predict_proba(self, X):
        """Probabilities of the next token at every position, shape (n, T, vocab_size)."""
        Z = self._logits(self._check_tokens(X))
        E = np.exp(Z - Z.max(axis=-1, keepdims=True))
        return E / E.sum(axis=-1, keepdims=True)

    def predict(self, X):
        """The most probable next token at every position, shape (n, T), int."""
        return self._logits(self._check_tokens(X)).argmax(axis=-1)

    def loss(self, X, y):
        """Mean next-token cross-entropy on ``(X, y)`` over all positions."""
        X, y = self._check_pair(X, y)
        Z = self._logits(X)
        return _softmax_cross_entropy_and_grad(y.reshape(-1), Z.reshape(-1, Z.shape[-1]))[0]

    def gradients(self, X, y):
        """Mean next-token cross-entropy on ``(X, y)`` and its gradients.

        Parameters
        ----------
        X : array_like of int, shape (n_samples, T), the input tokens
        y : array_like of int, shape (n_samples, T), the next token at every position

        Returns
        -------
        loss : float
        grads : dict, the same names and shapes as ``params``
        """
        X, y = self._check_pair(X, y)
        return _loss_and_grads(X, y, self._checked_params(), self.n_heads, self.n_layers)

    def generate(self, prompt, n_tokens, temperature=1.0, rng=None):
        """Continue a prompt token by token, each new token fed back as input.

        Parameters
        ----------
        prompt : array_like of int, shape (t,) (or (n, t): n prompts at once)
        n_tokens : int >= 1, with ``t + n_tokens - 1 <= max_len``
        temperature : float >= 0, default 1.0
            Each token is drawn from ``softmax(logits / temperature)``; 0 takes the most
            probable token (greedy decoding, no randomness).
        rng : None, int or numpy.random.Generator, for the draws

        Returns
        -------
        ndarray of int, shape (t + n_tokens,) (or (n, t + n_tokens)): the prompt followed
        by the new tokens
        """
        prompt_arr = np.asarray(prompt)
        single = prompt_arr.ndim == 1
        seqs = self._check_tokens(prompt_arr[None] if single else prompt_arr, "prompt")
        n_tokens = check_positive_int(n_tokens, "n_tokens")
        if seqs.shape[1] + n_tokens - 1 > self.max_len:
            raise ValueError(
                f"n_tokens is {n_tokens}, expected at most {self.max_len - seqs.shape[1] + 1}: "
                f"the prompt has {seqs.shape[1]} tokens and the model reads at most "
                f"max_len = {self.max_len}"
            )
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, numbers.Real)
            or not np.isfinite(temperature)
            or temperature < 0
        ):
            raise ValueError(f"temperature must be a number >= 0, got {temperature!r}")
        gen = None if temperature == 0 else as_rng(rng)
        params = self._checked_params()
        for _ in range(n_tokens):
            logits, _ = transformer_forward(seqs, params, self.n_heads, self.n_layers)
            last = logits[:, -1]
            if gen is None:
                new = last.argmax(axis=1)
            else:
                z = last / temperature
                p = np.exp(z - z.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)
                new = np.array([gen.choice(self.vocab_size, p=row) for row in p])
            seqs = np.concatenate([seqs, new[:, None]], axis=1)
        return seqs[0] if single else seqs

    # --------------------------------------------------------------------- training

    def fit(
        self,
        X,
        y,
        lr=None,
        n_epochs=None,
        batch_size=DEFAULT_BATCH_SIZE,
        optimizer="adam",
        validation_data=None,
        patience=None,
    ):
        """Train from the current ``params`` with shuffled mini-batches.

        Parameters
        ----------
        X, y : array_like of int, shape (n_samples, T), inputs and next tokens
        lr : float, optional, None takes ``DEFAULTS[optimizer][0]``
        n_epochs : int, optional, None takes ``DEFAULTS[optimizer][1]``
        batch_size : int or None, default 64; None uses all sequences in every update
        optimizer : {"adam", "adamw", "momentum", "gd"}, default "adam"
        validation_data : None or (X_val, y_val)
            Records ``val_loss_history_`` (the loss after each epoch) and ``best_epoch_``.
        patience : None or int
            Stop after ``patience`` epochs without a lower validation loss and keep the
            parameters of the best epoch; needs ``validation_data``.

        Returns
        -------
        self
        """
        params = self._checked_params()
        X, y = self._check_pair(X, y)
        setup = self._fit_setup(optimizer, lr, n_epochs, batch_size, validation_data, patience)
        validation_loss = None
        if setup.validation_data is not None:
            X_val, y_val = self._check_pair(
                *setup.validation_data, ("validation_data[0]", "validation_data[1]")
            )

            def validation_loss(named):
                logits, _ = transformer_forward(X_val, named, self.n_heads, self.n_layers)
                return _softmax_cross_entropy_and_grad(
                    y_val.reshape(-1), logits.reshape(-1, self.vocab_size)
                )[0]

        names = list(self.shapes)

        def loss_and_grads(named, batch):
            loss, grads = _loss_and_grads(X[batch], y[batch], named, self.n_heads, self.n_layers)
            return loss, [grads[k] for k in names]

        def pack(arrays):
            return dict(zip(names, arrays, strict=True))

        arrays, losses, stopper = train_minibatches(
            [params[k] for k in names], pack, loss_and_grads, X.shape[0], setup, self._rng,
            validation_loss,
        )
        self.params = pack(arrays)
        self._record_fit(losses, stopper)
        return self
