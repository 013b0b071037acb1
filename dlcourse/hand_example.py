"""The hand-worked 2-2-1 network shared by the backpropagation chapter and the tests.

A sigmoid hidden layer of two units, one sigmoid output unit, binary
cross-entropy, and one sample. The numbers below are worked out by hand; the
chapter prints them step by step and ``tests/test_mlp.py`` asserts them, so the
text, the code and the tests share one set of numbers.

Forward pass::

    Z1 = x @ W1 + b1 = (1*0.5 + 2*0.25 + 0,  1*(-1) + 2*0.5 + 0.5) = (1.0, 0.5)
    A1 = sigmoid(Z1) = (0.731059, 0.622459)
    Z2 = A1 @ W2 + b2 = 0.731059 - 0.622459 = 0.108599
    y_hat = sigmoid(Z2) = 0.527123
    L = -log(y_hat) = 0.640321                       (y = 1)

Backward pass::

    dZ2 = y_hat - y = -0.472877                      (sigmoid + BCE, n = 1)
    dW2 = A1.T @ dZ2 = (0.731059 * -0.472877, 0.622459 * -0.472877) = (-0.345701, -0.294347)
    db2 = dZ2 = -0.472877
    dA1 = dZ2 @ W2.T = (-0.472877, 0.472877)
    dZ1 = dA1 * A1 * (1 - A1) = (-0.472877 * 0.196612, 0.472877 * 0.235004) = (-0.092973, 0.111128)
    dW1 = x.T @ dZ1 = [[-0.092973, 0.111128], [-0.185946, 0.222256]]
    db1 = dZ1 = (-0.092973, 0.111128)

>>> from dlcourse.mlp import mlp_gradients
>>> loss, grads = mlp_gradients(HAND_X, HAND_y, HAND_PARAMS, "sigmoid")
>>> round(float(loss), 6)
0.640321
"""

import numpy as np

#: One sample, x = (1, 2), shape (1, 2).
HAND_X = np.array([[1.0, 2.0]])
#: Its label, shape (1,).
HAND_y = np.array([1])
#: [(W1, b1), (W2, b2)] with W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,).
HAND_PARAMS = [
    (np.array([[0.5, -1.0], [0.25, 0.5]]), np.array([0.0, 0.5])),
    (np.array([[1.0], [-1.0]]), np.array([0.0])),
]
