"""The playground (web/playground/) in a real browser.

- Its maths is dlcourse's: for the same weights and data, the page's loss,
  gradients, probabilities and one gradient-descent step equal
  ``dlcourse.mlp``'s to 1e-9 (weights and data are drawn here, at test time, so no
  exported fixture can drift from the package).
- It learns: XOR with one hidden layer of four tanh units reaches a test loss
  below 0.3 and a test accuracy above 0.9 within 20 s of pressing Play, while
  with no hidden layer the accuracy stays below 0.7.
- Its state lives in the URL: changing a control rewrites the URL, and opening
  that URL restores the control.
- It works opened from disk (file://), with no server.
"""

from __future__ import annotations

import time
import urllib.parse

import numpy as np
import pytest
from browser_support import PageWatch

from dlcourse.mlp import mlp_forward, mlp_gradients

pytest_plugins = ["browser_support"]
pytestmark = pytest.mark.browser

PLAYGROUND = "playground/index.html"
ACTIVATIONS = ["sigmoid", "tanh", "relu"]


@pytest.fixture
def open_playground(browser, base_url):
    """Open the playground (optionally with a query string); checks for errors at the end."""
    contexts = []
    watches = []

    def open_(query: str = "", url: str | None = None):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        watches.append(PageWatch(page, base_url))
        page.goto(url or base_url + PLAYGROUND + query)
        page.wait_for_function("() => window.playground !== undefined")
        return page

    yield open_
    problems = [w.problems() for w in watches]
    for context in contexts:
        context.close()
    assert all(p == {} for p in problems), problems


def random_network(rng, depth, n_hidden=5):
    sizes = [2] + [n_hidden] * depth + [1]
    return [
        (rng.normal(0.0, 0.8, size=(a, b)), rng.normal(0.0, 0.3, size=b))
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def as_lists(params):
    return [[W.tolist(), b.tolist()] for W, b in params]


def assert_close(actual, expected, what):
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float),
        np.asarray(expected, dtype=float),
        rtol=1e-9,
        atol=1e-12,
        err_msg=what,
    )


# ---------------------------------------------------------------- the maths is dlcourse's


def test_loss_gradients_and_probabilities_equal_dlcourse(open_playground):
    page = open_playground()
    rng = np.random.default_rng(20260)
    checked = 0
    for activation in ACTIVATIONS:
        for depth in range(4):
            X = rng.normal(size=(23, 2))
            y = rng.integers(0, 2, size=23)
            params = random_network(rng, depth)
            loss, grads = mlp_gradients(X, y, params, hidden_activation=activation)
            js = page.evaluate(
                "([X, y, params, act]) => playground.lossAndGradients(X, y, params, act)",
                [X.tolist(), y.tolist(), as_lists(params), activation],
            )
            where = f"{activation}, {depth} hidden layers"
            assert_close(js["loss"], loss, f"loss ({where})")
            assert len(js["grads"]) == len(grads)
            for k, ((dW, db), (js_dW, js_db)) in enumerate(
                zip(grads, js["grads"], strict=True), start=1
            ):
                assert_close(js_dW, dW, f"dW{k} ({where})")
                assert_close(js_db, db, f"db{k} ({where})")
            p = page.evaluate(
                "([X, params, act]) => playground.predictProba(X, params, act)",
                [X.tolist(), as_lists(params), activation],
            )
            assert_close(
                p, mlp_forward(X, params, hidden_activation=activation)[:, 0], f"p ({where})"
            )
            checked += 1
    assert checked == 12


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_weights_loaded_into_the_page_train_like_dlcourse(open_playground, activation):
    """Load weights into the page's own network; its loss and one full-batch step match dlcourse."""
    page = open_playground(
        f"?dataset=moons&noise=0.1&n=120&layers=2&units=3&activation={activation}&lr=0.3&batch=all&seed=7"
    )
    rng = np.random.default_rng(5)
    params = random_network(rng, depth=2, n_hidden=3)
    page.evaluate("(params) => playground.setWeights(params)", as_lists(params))
    data = page.evaluate("() => playground.getData()")
    X, y = np.array(data["Xtrain"]), np.array(data["ytrain"])
    assert X.shape == (84, 2)  # 70 % of 120

    loss, grads = mlp_gradients(X, y, params, hidden_activation=activation)
    assert_close(
        page.evaluate("() => playground.metrics().trainLoss"),
        loss,
        "training loss shown by the page",
    )

    page.evaluate("() => playground.step(1)")  # one epoch with batch = all: one gradient step
    stepped = page.evaluate("() => playground.getWeights()")
    for k, ((W, b), (dW, db), (js_W, js_b)) in enumerate(
        zip(params, grads, stepped, strict=True), start=1
    ):
        assert_close(js_W, W - 0.3 * dW, f"W{k} after one step")
        assert_close(js_b, b - 0.3 * db, f"b{k} after one step")


def test_bad_weights_are_refused_with_a_clear_message(open_playground):
    page = open_playground("?layers=1&units=4")
    message = page.evaluate(
        """() => {
          try { playground.setWeights([[[[1, 2]], [0, 0]], [[[1], [1]], [0]]]); return "accepted"; }
          catch (err) { return err.message; }
        }"""
    )
    assert "params" in message and "expected" in message


# ---------------------------------------------------------------- it learns


def play_until(page, condition, timeout):
    """Press Play and poll the page's metrics until ``condition(metrics)`` or the timeout."""
    page.click("#play")
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        metrics = page.evaluate("() => playground.metrics()")
        seen.append(metrics)
        if condition(metrics) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)
    page.click("#play")  # pause
    return seen


def choose(page, dataset, layers, units=None, activation=None, n=None):
    """Set the controls the way a student does."""
    page.select_option("#dataset", dataset)
    if n is not None:
        page.eval_on_selector(
            "#n", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", str(n)
        )
    page.eval_on_selector(
        "#layers", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", str(layers)
    )
    if units is not None:
        page.eval_on_selector(
            "#units",
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
            str(units),
        )
    if activation is not None:
        page.select_option("#activation", activation)


def test_xor_is_learned_with_one_hidden_layer(open_playground):
    page = open_playground()
    choose(page, "xor", layers=1, units=4, activation="tanh")
    state = page.evaluate("() => playground.state")
    assert (state["dataset"], state["layers"], state["units"], state["activation"]) == (
        "xor",
        1,
        4,
        "tanh",
    )
    start = page.evaluate("() => playground.metrics()")
    seen = play_until(page, lambda m: m["testLoss"] < 0.3 and m["testAccuracy"] > 0.9, timeout=20)
    last = seen[-1]
    assert last["epoch"] > start["epoch"] == 0
    assert last["testLoss"] < 0.3, f"test loss {last['testLoss']:.3f} after {last['epoch']} epochs"
    assert last["testAccuracy"] > 0.9, (
        f"test accuracy {last['testAccuracy']:.3f} after {last['epoch']} epochs"
    )
    # The live views follow: the epoch counter and accuracy on the page.
    assert page.inner_text("#epoch") == str(page.evaluate("() => playground.metrics().epoch"))
    assert page.inner_text("#test-accuracy").endswith("%")


def test_xor_is_not_learned_without_a_hidden_layer(open_playground):
    page = open_playground()
    choose(page, "xor", layers=0, n=1000)
    seen = play_until(page, lambda m: m["epoch"] >= 150, timeout=20)
    trained = [m for m in seen if m["epoch"] >= 20]
    assert trained, f"only {seen[-1]['epoch']} epochs in 20 s"
    assert max(m["testAccuracy"] for m in trained) < 0.7
    assert min(m["testLoss"] for m in trained) > 0.6  # log 2 = 0.69: no better than guessing


# ---------------------------------------------------------------- the URL keeps the state


def query_of(page):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))


def test_changing_a_control_updates_the_url_and_the_url_restores_it(open_playground):
    page = open_playground()
    assert query_of(page)["activation"] == "tanh"
    page.select_option("#activation", "relu")
    page.select_option("#dataset", "spirals")
    page.eval_on_selector(
        "#layers", "(el) => { el.value = '3'; el.dispatchEvent(new Event('input')); }"
    )
    page.select_option("#lr", "0.03")
    query = query_of(page)
    assert (query["activation"], query["dataset"], query["layers"], query["lr"]) == (
        "relu",
        "spirals",
        "3",
        "0.03",
    )

    again = open_playground(url=page.url)
    assert again.eval_on_selector("#activation", "el => el.value") == "relu"
    assert again.eval_on_selector("#dataset", "el => el.value") == "spirals"
    assert again.eval_on_selector("#layers", "el => el.value") == "3"
    assert again.eval_on_selector("#lr", "el => el.value") == "0.03"
    state = again.evaluate("() => playground.state")
    assert (state["activation"], state["dataset"], state["layers"], state["lr"]) == (
        "relu",
        "spirals",
        3,
        0.03,
    )
    # The restored page draws the same data (the seed is in the URL too).
    assert again.evaluate("() => playground.getData()") == page.evaluate(
        "() => playground.getData()"
    )


def test_every_url_parameter_is_restored(open_playground):
    query = (
        "?dataset=circles&noise=0.2&n=300&layers=2&units=6&activation=sigmoid&lr=1&batch=20&seed=42"
    )
    page = open_playground(query)
    assert page.evaluate("() => playground.state") == {
        "dataset": "circles",
        "noise": 0.2,
        "n": 300,
        "layers": 2,
        "units": 6,
        "activation": "sigmoid",
        "lr": 1,
        "batch": 20,
        "seed": 42,
    }
    data = page.evaluate("() => playground.getData()")
    assert len(data["Xtrain"]) + len(data["Xtest"]) == 300
    assert page.inner_text("#param-count").startswith("Layer sizes 2 → 6 → 6 → 1")


def test_bad_url_parameters_fall_back_and_say_so(open_playground):
    page = open_playground("?dataset=banana&layers=7&lr=-1")
    state = page.evaluate("() => playground.state")
    assert (state["dataset"], state["layers"], state["lr"]) == ("xor", 1, 0.3)
    notice = page.inner_text("#notice")
    assert "dataset=banana" in notice and "layers=7" in notice and "lr=-1" in notice


# ---------------------------------------------------------------- offline, from disk


def test_works_from_disk(browser, site):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((site / PLAYGROUND).as_uri() + "?dataset=moons&layers=2&units=4")
    page.wait_for_function("() => window.playground !== undefined")
    before = page.evaluate("() => playground.metrics()")
    page.click("#step")
    page.click("#step")
    page.click("#step")
    after = page.evaluate("() => playground.metrics()")
    drawn = page.evaluate("() => document.querySelectorAll('#network line').length")
    context.close()
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert (before["epoch"], after["epoch"]) == (0, 3)
    assert after["trainLoss"] < before["trainLoss"]
    assert drawn == 2 * 4 + 4 * 4 + 4  # one line per weight


# ---------------------------------------------------------------- the chapter's "things to try"


def trained(page, n_epochs):
    """Train ``n_epochs`` epochs, one at a time (the seeded run the link gives every reader);
    return the test accuracy after each epoch (index 0: before training) and the loss history."""
    out = page.evaluate(
        """(n) => {
          const acc = [playground.metrics().testAccuracy];
          for (let i = 0; i < n; i++) {
            playground.step(1);
            acc.push(playground.metrics().testAccuracy);
          }
          return {acc, hist: playground.history()};
        }""",
        n_epochs,
    )
    return np.array(out["acc"]), np.array(out["hist"]["train"]), np.array(out["hist"]["test"])


def first_epoch_above(acc, level):
    above = np.flatnonzero(acc > level)
    return int(above[0]) if above.size else None


XOR = "?dataset=xor&n=1000&batch=10"


def test_chapter_12_things_to_try_happen_as_it_says(open_playground):
    """Each numbered item of chapters/12_playground.md, run from the address its link opens
    (the seed is fixed, so every reader sees this very run)."""
    where = "claim in 12_playground.md"
    page = open_playground(XOR + "&layers=0&lr=0.3")
    acc, train, _ = trained(page, 200)
    assert np.all(np.abs(train[5:] - np.log(2)) < 0.01), f"{where} 1: 'the loss stays at 0.69'"
    assert 0.45 < np.median(acc[20:]) < 0.55 and acc[20:].max() < 0.7, (
        f"{where} 1: 'the accuracy wobbles around 50 %' -- median {np.median(acc[20:]):.3f}")

    runs = {}
    for units in (4, 3, 2):
        page = open_playground(XOR + f"&layers=1&units={units}&activation=tanh&lr=0.3")
        runs[units] = trained(page, 300)[0]
    reached = first_epoch_above(runs[4], 0.9)
    assert reached is not None and reached <= 50, (
        f"{where} 2: 'passes 90 % within about fifty epochs' -- first at epoch {reached}")
    assert 0.80 < runs[2][-100:].mean() < 0.86 and runs[2].max() < 0.9, (
        f"{where} 2: 'with 2 units this run gets stuck near 83 %' -- {runs[2][-100:].mean():.3f}")
    assert 0.87 < runs[3][-100:].mean() < 0.93, (
        f"{where} 2: 'with 3 near 90 %' -- {runs[3][-100:].mean():.3f}")

    page = open_playground(XOR + "&layers=1&units=4&activation=tanh&lr=10")
    _, train, _ = trained(page, 200)
    assert train[1:5].max() > 3 * train[0], f"{where} 3: 'jumps to several times its start'"
    late = train[100:]
    assert late.max() > 2 * late.min() and np.sum(np.diff(late) > 0) > 20, (
        f"{where} 3: 'wanders up and down instead of settling' -- "
        f"{late.min():.2f}..{late.max():.2f}")
    page = open_playground(XOR + "&layers=1&units=4&activation=tanh&lr=0.001")
    _, train, _ = trained(page, 100)
    assert round(train[0], 2) == 0.76 and round(train[100], 2) == 0.69, (
        f"{where} 3: 'the loss only gets from 0.76 down to 0.69' -- "
        f"{train[0]:.3f}, {train[100]:.3f}")

    page = open_playground(XOR + "&layers=3&units=4&activation=sigmoid&lr=0.03")
    acc_sigmoid, train, _ = trained(page, 150)
    assert train[50] > 0.6 and first_epoch_above(acc_sigmoid, 0.9) > 80, (
        f"{where} 4: 'the loss creeps down from 0.69 for about a hundred epochs'")
    page = open_playground(XOR + "&layers=3&units=4&activation=relu&lr=0.03")
    reached = first_epoch_above(trained(page, 30)[0], 0.9)
    assert reached is not None and reached <= 15, (
        f"{where} 4: 'ReLU passes 90 % test accuracy within about ten epochs' -- {reached}")

    page = open_playground("?dataset=spirals&layers=1&units=8&activation=relu&lr=0.1&batch=10")
    acc_one = trained(page, 200)[0]
    page = open_playground("?dataset=spirals&layers=3&units=8&activation=relu&lr=0.1&batch=10")
    acc_three = trained(page, 200)[0]
    assert acc_one.max() < 0.7, f"{where} 5: 'one hidden layer stays near chance'"
    reached = first_epoch_above(acc_three, 0.9)
    assert reached is not None and 50 <= reached <= 150, (
        f"{where} 5: 'three layers separate the arms after about a hundred epochs' -- {reached}")

    page = open_playground(
        "?dataset=moons&noise=0.3&n=100&layers=3&units=8&activation=relu&lr=0.3&batch=10")
    _, train, test = trained(page, 500)
    best = int(np.argmin(test))
    assert 100 <= best <= 400 and test[-1] > 1.2 * test[best] and train[-1] < train[best], (
        f"{where} 6: 'after a few hundred epochs the training loss keeps falling while the test "
        f"loss climbs again' -- test lowest at epoch {best}")
