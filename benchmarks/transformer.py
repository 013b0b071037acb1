"""Benchmark dlcourse.Transformer on the sorting task, and an LSTM against a plain RNN.

1. Sorting (``make_sort_task(10000, seed=s)``, seeds 0-2): ``Transformer(vocab_size=11,
   max_len=12)`` trained with its ``fit`` defaults, then, on 1000 held-out inputs (drawn
   with another seed, any sequence also in the training set left out), greedy generation
   ``generate(sequence[:7], 6, temperature=0)``: the fraction of inputs whose six sorted
   tokens are all right (target >= 0.99), and the teacher-forced token accuracy of
   ``predict(X)[:, -6:]`` against ``y[:, -6:]``.
2. Speed: the same model and recipe in PyTorch on the CPU: the same initial weights, the
   same operations (token and position embeddings, pre-norm blocks with
   ``F.layer_norm``, ``F.scaled_dot_product_attention`` with a causal mask, a ReLU
   feed-forward network, a final layer norm and read-out), the same mini-batches in the
   same order, the same loss and Adam settings; float64 and one thread on both sides.
   Both sides' training losses of the first and the last epoch are printed with the time
   of each whole fit: the first agree to many digits (the same recipe); over 10 epochs the
   rounding differences of two implementations can grow and lead to nearby but different
   minima. On a shared machine the load changes within
   minutes, so the speed ratio comes from one-epoch fits of seed 0 timed alternately,
   the best of several kept for each side (every epoch has the same batches and shapes,
   so a fit is ``n_epochs`` of them). Target: dlcourse's fit takes no longer than
   PyTorch's (ratio PyTorch / dlcourse >= 1).
3. Long-range memory: the first of 51 inputs is +1 or -1 and the next 50 are noise; after
   the last step the network must say the sign of the first. An LSTM and a plain tanh RNN
   with the same number of hidden units (a logistic read-out of the last hidden state,
   Adam, the same batches) are trained for seeds 0-2; test accuracies are printed
   (0.5 is a guess). A plain RNN with twice the units has about the LSTM's number of
   weights (1 088 + 33 against 1 152 + 17) and is printed too. The LSTM runs twice: with
   its forget-gate bias initialised at 3 (``f`` about 0.95 at the start, so the first
   input's gradient survives 50 steps from the first update) and at the more common 1
   (``0.73 ** 50``: almost nothing comes back at first, so learning has to find the long
   path by itself).

Usage: ``python benchmarks/transformer.py`` (tens of minutes on a shared machine; the
PyTorch rows need the optional extra ``pip install torch==2.13.0``) or
``python benchmarks/transformer.py --quick`` (a tiny run of every part, a minute).
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from dlcourse.data import make_sort_task
from dlcourse.recall import make_recall_task, train_recall
from dlcourse.training import minibatch_indices
from dlcourse.transformer import BLOCK_NAMES, DEFAULT_BATCH_SIZE, DEFAULTS, Transformer

try:
    import torch
except ImportError:  # the PyTorch rows are skipped
    torch = None


# ------------------------------------------------------------------------------ sorting


def held_out(n, length, n_symbols, train_X, seed):
    """``n`` sorting sequences none of which is in the training set."""
    seen = {row.tobytes() for row in train_X}
    X, y = make_sort_task(4 * n, length, n_symbols, seed=seed)
    keep = np.array([row.tobytes() not in seen for row in X])
    return X[keep][:n], y[keep][:n]


def sort_scores(model, X, y, length):
    """Whole answers right by greedy generation, and teacher-forced token accuracy."""
    sequences = np.concatenate([X, y[:, -1:]], axis=1)
    prompt = sequences[:, : length + 1]  # the list and SEP
    written = model.generate(prompt, length, temperature=0)[:, length + 1 :]
    whole = float(np.mean(np.all(written == y[:, -length:], axis=1)))
    tokens = float(np.mean(model.predict(X)[:, -length:] == y[:, -length:]))
    return whole, tokens


def torch_fit(init_params, X, y, n_heads, n_layers, lr, n_epochs, batch_size, rng):
    """The recipe of Transformer.fit in PyTorch: same weights, operations, batches, Adam."""
    F = torch.nn.functional
    params = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in init_params.items()}
    opt = torch.optim.Adam(params.values(), lr=lr)
    d = init_params["E"].shape[1]
    T = X.shape[1]
    tX, ty = torch.tensor(X), torch.tensor(y)
    losses = []
    for _ in range(n_epochs):
        total = 0.0
        for batch in minibatch_indices(len(X), batch_size, rng):
            xb, yb = tX[batch], ty[batch]
            n = len(batch)
            H = params["E"][xb] + params["P"][:T]
            for layer in range(n_layers):
                p = [params[f"block{layer}.{name}"] for name in BLOCK_NAMES]
                g1, be1, Wq, Wk, Wv, Wo, g2, be2, W1, b1, W2, b2 = p
                A = F.layer_norm(H, (d,), g1, be1)
                q, k, v = ((A @ W).view(n, T, n_heads, d // n_heads).transpose(1, 2)
                           for W in (Wq, Wk, Wv))
                att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                H = H + att.transpose(1, 2).reshape(n, T, d) @ Wo
                M = F.layer_norm(H, (d,), g2, be2)
                H = H + F.relu(M @ W1 + b1) @ W2 + b2
            U = F.layer_norm(H, (d,), params["ln_gamma"], params["ln_beta"])
            logits = U @ params["W_out"] + params["b_out"]
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * n
        losses.append(total / len(X))
    return np.array(losses)


def sorting_part(seeds, n_train, n_test, with_torch):
    lr, n_epochs = DEFAULTS["adam"]
    print(
        f"1-2. Sorting 6 tokens of 10 symbols: make_sort_task({n_train}, seed=s), "
        f"Transformer(11, 12) fit defaults = Adam, lr {lr}, {n_epochs} epochs, "
        f"batch {DEFAULT_BATCH_SIZE}; {n_test} held-out inputs",
        flush=True,
    )
    rows = []
    for seed in seeds:
        X, y = make_sort_task(n_train, seed=seed)
        X_test, y_test = held_out(n_test, 6, 10, X, seed=10_000 + seed)
        model = Transformer(vocab_size=11, max_len=12, seed=seed)
        init = {k: v.copy() for k, v in model.params.items()}
        batch_rng = copy.deepcopy(model._rng)  # the fit's shuffling, for PyTorch's batches
        contenders = ["dlcourse", "torch"] if with_torch else ["dlcourse"]
        if seed % 2:
            contenders.reverse()  # alternate who runs first
        times, losses = {}, {}
        for who in contenders:
            start = time.perf_counter()
            if who == "dlcourse":
                model.fit(X, y)
                losses[who] = model.loss_history_
            else:
                losses[who] = torch_fit(init, X, y, model.n_heads, model.n_layers, lr,
                                        n_epochs, DEFAULT_BATCH_SIZE, batch_rng)
            times[who] = time.perf_counter() - start
        whole, tokens = sort_scores(model, X_test, y_test, 6)
        line = (f"   seed {seed}: whole answers {whole:.3f}, teacher-forced tokens {tokens:.4f}; "
                f"dlcourse fit {times['dlcourse']:5.1f} s, loss epoch 1 "
                f"{losses['dlcourse'][0]:.8f}, last {losses['dlcourse'][-1]:.6f}")
        if with_torch:
            line += (f" | PyTorch fit {times['torch']:5.1f} s, loss epoch 1 "
                     f"{losses['torch'][0]:.8f}, last {losses['torch'][-1]:.6f}")
        print(line, flush=True)
        rows.append((whole, tokens))
    rows = np.array(rows)
    print(f"   whole answers: min {rows[:, 0].min():.3f} (target >= 0.99); teacher-forced "
          f"tokens: min {rows[:, 1].min():.4f}")


def speed_part(n_train, n_repeats):
    lr = DEFAULTS["adam"][0]
    X, y = make_sort_task(n_train, seed=0)
    best = {"dlcourse": np.inf, "torch": np.inf}
    for repeat in range(n_repeats):
        order = ["dlcourse", "torch"] if repeat % 2 == 0 else ["torch", "dlcourse"]
        for who in order:
            model = Transformer(vocab_size=11, max_len=12, seed=0)
            start = time.perf_counter()
            if who == "dlcourse":
                model.fit(X, y, n_epochs=1)
            else:
                torch_fit(model.params, X, y, model.n_heads, model.n_layers, lr, 1,
                          DEFAULT_BATCH_SIZE, model._rng)
            best[who] = min(best[who], time.perf_counter() - start)
    n_steps = -(-n_train // DEFAULT_BATCH_SIZE)
    print(f"   one epoch ({n_steps} steps of {DEFAULT_BATCH_SIZE} sequences), best of "
          f"{n_repeats} alternating runs: dlcourse {best['dlcourse']:.2f} s, PyTorch "
          f"{best['torch']:.2f} s; PyTorch / dlcourse = {best['torch'] / best['dlcourse']:.2f} "
          "(target >= 1: dlcourse no slower)", flush=True)


# ------------------------------------------------------------------------------ long range


def long_range_part(seeds, n_steps, n_train, n_epochs, n_hidden=16):
    print(f"3. Recall the sign of the first input after {n_steps} noise steps: LSTM vs plain "
          f"tanh RNN, {n_hidden} hidden units each, {n_train} training sequences, "
          f"{n_epochs} epochs of Adam (lr 0.01, batch 32); 500 test sequences", flush=True)
    accs = []
    for seed in seeds:
        data_rng = np.random.default_rng(seed)
        X, labels = make_recall_task(n_train, n_steps, data_rng)
        X_test, labels_test = make_recall_task(500, n_steps, data_rng)
        args = (X, labels, X_test, labels_test, seed)
        lstm = train_recall("lstm", *args, forget_bias=3.0, n_hidden=n_hidden, n_epochs=n_epochs)
        lstm_1 = train_recall("lstm", *args, forget_bias=1.0, n_hidden=n_hidden, n_epochs=n_epochs)
        rnn = train_recall("rnn", *args, n_hidden=n_hidden, n_epochs=n_epochs)
        rnn_wide = train_recall("rnn", *args, n_hidden=2 * n_hidden, n_epochs=n_epochs)
        accs.append((lstm, lstm_1, rnn, rnn_wide))
        print(f"   seed {seed}: LSTM (forget bias 3) {lstm:.3f}, LSTM (forget bias 1) "
              f"{lstm_1:.3f}, RNN {rnn:.3f}, RNN with {2 * n_hidden} units {rnn_wide:.3f}",
              flush=True)
    accs = np.array(accs)
    print(f"   mean test accuracy: LSTM (forget bias 3) {accs[:, 0].mean():.3f}, "
          f"LSTM (forget bias 1) {accs[:, 1].mean():.3f}, RNN {accs[:, 2].mean():.3f}, "
          f"RNN with {2 * n_hidden} units {accs[:, 3].mean():.3f} (0.5 = guessing)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run of every part")
    parser.add_argument("--part", choices=["sort", "lstm", "all"], default="all")
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(1)
    blas = [(i["internal_api"], i.get("architecture")) for i in threadpool_info()]
    print(f"Python {platform.python_version()}, numpy {np.__version__} ({blas}), "
          f"PyTorch {torch.__version__ if torch else 'not installed'}; one thread each; "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    if args.quick:
        print("--quick: a smoke run on tiny inputs; the targets apply to the full run")
    with threadpool_limits(1):
        if args.part in ("sort", "all"):
            if args.quick:
                sorting_part([0], 600, 100, torch is not None)
            else:
                sorting_part([0, 1, 2], 10_000, 1000, torch is not None)
            if torch is not None:
                speed_part(600 if args.quick else 10_000, 2 if args.quick else 6)
        if args.part in ("lstm", "all"):
            if args.quick:
                long_range_part([0], 10, 200, 2)
            else:
                long_range_part([0, 1, 2], 50, 2000, 8)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
