/*
 * The playground's maths: seeded random numbers, the data sets and a small
 * multilayer perceptron trained by mini-batch gradient descent.
 *
 * The network is the course's (dlcourse.mlp), written again in JavaScript:
 * rows are samples, X has shape (n_samples, n_features), a dense layer is
 *     Z = X @ W + b      with W of shape (n_in, n_out) and b of shape (n_out,),
 * hidden layers apply sigmoid, tanh or ReLU, the output unit is a sigmoid,
 * p = sigmoid(Z_L), and the loss is the mean binary cross-entropy
 *     L = -(1/n) * sum_i [ y_i log p_i + (1 - y_i) log(1 - p_i) ].
 * Back-propagation starts from the output delta dZ_L = (p - y) / n, then for
 * each layer l = L, ..., 1:
 *     dW_l = A_{l-1}^T @ dZ_l,   db_l = column sums of dZ_l,
 *     dZ_{l-1} = (dZ_l @ W_l^T) * f'(Z_{l-1}).
 * tests/test_playground.py checks loss and gradients against
 * dlcourse.mlp.mlp_gradients to 1e-9.
 *
 * No DOM here: the file also runs under Node (module.exports at the bottom).
 */
(function (root) {
  "use strict";

  // ---------------------------------------------------------------- randomness

  /** mulberry32: a small, fast, seeded generator of uniform numbers in [0, 1). */
  function mulberry32(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** A seeded generator with uniform, normal and shuffle draws. */
  function Random(seed) {
    const uniform = mulberry32(seed);
    return {
      uniform: uniform,
      /** Uniform on [lo, hi). */
      between: function (lo, hi) {
        return lo + (hi - lo) * uniform();
      },
      /** Standard normal draw (Box-Muller). */
      normal: function () {
        let u = 0;
        while (u === 0) u = uniform();
        const v = uniform();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      },
      /** Fisher-Yates shuffle of an array, in place; returns it. */
      shuffle: function (array) {
        for (let i = array.length - 1; i > 0; i--) {
          const j = Math.floor(uniform() * (i + 1));
          const tmp = array[i];
          array[i] = array[j];
          array[j] = tmp;
        }
        return array;
      },
    };
  }

  // ---------------------------------------------------------------- data sets

  /*
   * Every generator returns {X: [[x1, x2], ...], y: [0 or 1, ...]} with points
   * roughly inside [-1.2, 1.2]^2. `noise` is the standard deviation of Gaussian
   * noise added to each coordinate after the labels are fixed.
   */
  const DATASETS = {
    /** The lecture's data: uniform on [-1, 1]^2, y = 1 where x1 * x2 > 0. */
    xor: function (n, rng) {
      const X = [];
      const y = [];
      for (let i = 0; i < n; i++) {
        const x1 = rng.between(-1, 1);
        const x2 = rng.between(-1, 1);
        X.push([x1, x2]);
        y.push(x1 * x2 > 0 ? 1 : 0);
      }
      return { X: X, y: y };
    },
    /** Two concentric circles (radius 1 labelled 0, radius 0.5 labelled 1), as scikit-learn's make_circles. */
    circles: function (n, rng) {
      const X = [];
      const y = [];
      for (let i = 0; i < n; i++) {
        const label = i < Math.floor(n / 2) ? 0 : 1;
        const radius = label === 0 ? 1 : 0.5;
        const angle = rng.between(0, 2 * Math.PI);
        X.push([radius * Math.cos(angle), radius * Math.sin(angle)]);
        y.push(label);
      }
      return { X: X, y: y };
    },
    /** Two interleaving half circles, as scikit-learn's make_moons, centred and scaled by 0.8. */
    moons: function (n, rng) {
      const X = [];
      const y = [];
      for (let i = 0; i < n; i++) {
        const label = i < Math.floor(n / 2) ? 0 : 1;
        const t = rng.between(0, Math.PI);
        const x1 = label === 0 ? Math.cos(t) : 1 - Math.cos(t);
        const x2 = label === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
        X.push([0.8 * (x1 - 0.5), 0.8 * (x2 - 0.25)]);
        y.push(label);
      }
      return { X: X, y: y };
    },
    /** Two interleaved spirals of one and three-quarter turns each. */
    spirals: function (n, rng) {
      const X = [];
      const y = [];
      for (let i = 0; i < n; i++) {
        const label = i < Math.floor(n / 2) ? 0 : 1;
        const t = rng.uniform();
        const radius = 0.05 + 0.95 * t;
        const angle = 3.5 * Math.PI * t + label * Math.PI;
        X.push([radius * Math.cos(angle), radius * Math.sin(angle)]);
        y.push(label);
      }
      return { X: X, y: y };
    },
    /** Two Gaussian blobs (standard deviation 0.2) centred at (-0.5, -0.5) and (0.5, 0.5). */
    linear: function (n, rng) {
      const X = [];
      const y = [];
      for (let i = 0; i < n; i++) {
        const label = i < Math.floor(n / 2) ? 0 : 1;
        const centre = label === 0 ? -0.5 : 0.5;
        X.push([centre + 0.2 * rng.normal(), centre + 0.2 * rng.normal()]);
        y.push(label);
      }
      return { X: X, y: y };
    },
  };

  /** Share of the samples held out as the test set (the lecture's 70/30 split). */
  const TEST_FRACTION = 0.3;

  /**
   * Draw a data set and split it into training and test sets.
   *
   * @param {string} name one of DATASETS' keys
   * @param {number} n number of samples
   * @param {number} noise standard deviation of the noise added to each coordinate
   * @param {number} seed seed of the draws (points, noise and split)
   * @returns {{Xtrain, ytrain, Xtest, ytest}} arrays of [x1, x2] rows and 0/1 labels
   */
  function makeData(name, n, noise, seed) {
    const make = DATASETS[name];
    if (!make) {
      throw new Error("dataset: got " + JSON.stringify(name) + ", expected one of " + Object.keys(DATASETS).join(", "));
    }
    const rng = Random(seed);
    const data = make(n, rng);
    if (noise > 0) {
      for (const row of data.X) {
        row[0] += noise * rng.normal();
        row[1] += noise * rng.normal();
      }
    }
    const order = rng.shuffle(data.X.map(function (_, i) { return i; }));
    const nTest = Math.round(TEST_FRACTION * n);
    const pick = function (indices) {
      return {
        X: indices.map(function (i) { return data.X[i]; }),
        y: indices.map(function (i) { return data.y[i]; }),
      };
    };
    const test = pick(order.slice(0, nTest));
    const train = pick(order.slice(nTest));
    return { Xtrain: train.X, ytrain: train.y, Xtest: test.X, ytest: test.y };
  }

  // ---------------------------------------------------------------- activations

  function sigmoid(t) {
    return 1 / (1 + Math.exp(-t));
  }

  /** Hidden activations f and their derivatives f' as functions of Z. */
  const ACTIVATIONS = {
    sigmoid: {
      f: sigmoid,
      grad: function (t) {
        const s = sigmoid(t);
        return s * (1 - s);
      },
    },
    tanh: {
      f: Math.tanh,
      grad: function (t) {
        const a = Math.tanh(t);
        return 1 - a * a;
      },
    },
    relu: {
      f: function (t) {
        return t > 0 ? t : 0;
      },
      grad: function (t) {
        return t > 0 ? 1 : 0;
      },
    },
  };

  function getActivation(name) {
    const act = ACTIVATIONS[name];
    if (!act) {
      throw new Error("activation: got " + JSON.stringify(name) + ", expected one of " + Object.keys(ACTIVATIONS).join(", "));
    }
    return act;
  }

  // ---------------------------------------------------------------- matrices
  // A matrix is {rows, cols, data: Float64Array} in row-major order.

  function matrix(rows, cols) {
    return { rows: rows, cols: cols, data: new Float64Array(rows * cols) };
  }

  /** Matrix from an array of rows (arrays of numbers). */
  function fromRows(rowsArray, name) {
    const rows = rowsArray.length;
    const cols = rows ? rowsArray[0].length : 0;
    const M = matrix(rows, cols);
    for (let i = 0; i < rows; i++) {
      if (rowsArray[i].length !== cols) {
        throw new Error((name || "matrix") + ": row " + i + " has " + rowsArray[i].length + " entries, expected " + cols);
      }
      for (let j = 0; j < cols; j++) M.data[i * cols + j] = rowsArray[i][j];
    }
    return M;
  }

  function toRows(M) {
    const out = [];
    for (let i = 0; i < M.rows; i++) out.push(Array.from(M.data.subarray(i * M.cols, (i + 1) * M.cols)));
    return out;
  }

  /** Dense layer: Z = A @ W + b. */
  function dense(A, W, b) {
    const Z = matrix(A.rows, W.cols);
    const n = A.rows;
    const k = A.cols;
    const m = W.cols;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let r = 0; r < k; r++) s += A.data[i * k + r] * W.data[r * m + j];
        Z.data[i * m + j] = s + b[j];
      }
    }
    return Z;
  }

  function mapMatrix(M, f) {
    const out = matrix(M.rows, M.cols);
    for (let i = 0; i < M.data.length; i++) out.data[i] = f(M.data[i]);
    return out;
  }

  // ---------------------------------------------------------------- network
  // params: [{W: matrix (n_in, n_out), b: Float64Array (n_out)}, ...], last layer has n_out = 1.

  /** Layer sizes [2, units, ..., units, 1] for `layers` hidden layers of `units` units. */
  function layerSizes(layers, units) {
    const sizes = [2];
    for (let l = 0; l < layers; l++) sizes.push(units);
    sizes.push(1);
    return sizes;
  }

  /**
   * Random initial weights and zero biases, with the scales of dlcourse.mlp.init_params:
   * ReLU hidden layers He's N(0, 2 / n_in); sigmoid and tanh hidden layers and the
   * output layer Glorot's uniform U(-r, r), r = sqrt(6 / (n_in + n_out)), times 4 for
   * sigmoid hidden layers (the sigmoid's slope at 0 is 1/4).
   */
  function initParams(sizes, activation, seed) {
    const rng = Random(seed);
    const params = [];
    const nLayers = sizes.length - 1;
    for (let l = 0; l < nLayers; l++) {
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      const hidden = l < nLayers - 1;
      const W = matrix(nIn, nOut);
      if (hidden && activation === "relu") {
        const std = Math.sqrt(2 / nIn);
        for (let i = 0; i < W.data.length; i++) W.data[i] = std * rng.normal();
      } else {
        const r = Math.sqrt(6 / (nIn + nOut)) * (hidden && activation === "sigmoid" ? 4 : 1);
        for (let i = 0; i < W.data.length; i++) W.data[i] = rng.between(-r, r);
      }
      params.push({ W: W, b: new Float64Array(nOut) });
    }
    return params;
  }

  /**
   * Forward pass. Returns the activations A_0 = X, ..., A_L (A_L = p, shape (n, 1))
   * and the pre-activations Z_1, ..., Z_L.
   */
  function forward(X, params, activation) {
    const f = getActivation(activation).f;
    const As = [X];
    const Zs = [];
    let A = X;
    for (let l = 0; l < params.length; l++) {
      const Z = dense(A, params[l].W, params[l].b);
      A = mapMatrix(Z, l === params.length - 1 ? sigmoid : f);
      Zs.push(Z);
      As.push(A);
    }
    return { As: As, Zs: Zs };
  }

  /**
   * Mean binary cross-entropy of labels y given output pre-activations z (p = sigmoid(z)),
   * written as softplus(z) - y z, which equals -[y log p + (1 - y) log(1 - p)]
   * and stays finite when p rounds to 0 or 1.
   */
  function bceFromLogits(y, zData) {
    let total = 0;
    for (let i = 0; i < y.length; i++) {
      const z = zData[i];
      const softplus = Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
      total += softplus - y[i] * z;
    }
    return total / y.length;
  }

  /**
   * Loss and gradients of the mean BCE with respect to every W and b.
   *
   * @returns {{loss: number, grads: Array<{W: matrix, b: Float64Array}>}}
   */
  function gradients(X, y, params, activation) {
    const fgrad = getActivation(activation).grad;
    const n = X.rows;
    const cache = forward(X, params, activation);
    const L = params.length;
    const loss = bceFromLogits(y, cache.Zs[L - 1].data);
    // Output delta: dZ_L = (p - y) / n.
    let dZ = matrix(n, 1);
    const p = cache.As[L].data;
    for (let i = 0; i < n; i++) dZ.data[i] = (p[i] - y[i]) / n;
    const grads = new Array(L);
    for (let l = L - 1; l >= 0; l--) {
      const Aprev = cache.As[l];
      const W = params[l].W;
      const k = W.rows;
      const m = W.cols;
      const dW = matrix(k, m);
      const db = new Float64Array(m);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          const d = dZ.data[i * m + j];
          db[j] += d;
          for (let r = 0; r < k; r++) dW.data[r * m + j] += Aprev.data[i * k + r] * d;
        }
      }
      grads[l] = { W: dW, b: db };
      if (l > 0) {
        // dZ_{l-1} = (dZ_l @ W_l^T) * f'(Z_{l-1}).
        const Zprev = cache.Zs[l - 1];
        const dZprev = matrix(n, k);
        for (let i = 0; i < n; i++) {
          for (let r = 0; r < k; r++) {
            let s = 0;
            for (let j = 0; j < m; j++) s += dZ.data[i * m + j] * W.data[r * m + j];
            dZprev.data[i * k + r] = s * fgrad(Zprev.data[i * k + r]);
          }
        }
        dZ = dZprev;
      }
    }
    return { loss: loss, grads: grads };
  }

  /** Gradient-descent update W := W - lr * dW, b := b - lr * db; returns new params. */
  function sgdUpdate(params, grads, lr) {
    return params.map(function (layer, l) {
      const W = matrix(layer.W.rows, layer.W.cols);
      for (let i = 0; i < W.data.length; i++) W.data[i] = layer.W.data[i] - lr * grads[l].W.data[i];
      const b = new Float64Array(layer.b.length);
      for (let j = 0; j < b.length; j++) b[j] = layer.b[j] - lr * grads[l].b[j];
      return { W: W, b: b };
    });
  }

  /** Output probabilities p (plain array of length n). */
  function predictProba(X, params, activation) {
    const cache = forward(X, params, activation);
    return Array.from(cache.As[params.length].data);
  }

  /** Mean BCE and accuracy (threshold 0.5) of the network on (X, y). */
  function evaluate(X, y, params, activation) {
    if (X.rows === 0) return { loss: NaN, accuracy: NaN };
    const cache = forward(X, params, activation);
    const L = params.length;
    const p = cache.As[L].data;
    let correct = 0;
    for (let i = 0; i < y.length; i++) if ((p[i] > 0.5 ? 1 : 0) === y[i]) correct++;
    return { loss: bceFromLogits(y, cache.Zs[L - 1].data), accuracy: correct / y.length };
  }

  // ---------------------------------------------------------------- conversion for the test hook

  /** [[W rows, b], ...] (plain arrays) -> params, checking the shapes chain. */
  function paramsFromArrays(list) {
    if (!Array.isArray(list) || list.length === 0) {
      throw new Error("params: expected a non-empty list of [W, b] pairs");
    }
    const params = list.map(function (pair, l) {
      const W = fromRows(pair[0], "params[" + l + "].W");
      const b = Float64Array.from(pair[1]);
      if (b.length !== W.cols) {
        throw new Error("params[" + l + "].b: got length " + b.length + ", expected " + W.cols + " (columns of W)");
      }
      return { W: W, b: b };
    });
    for (let l = 1; l < params.length; l++) {
      if (params[l].W.rows !== params[l - 1].W.cols) {
        throw new Error("params[" + l + "].W: got " + params[l].W.rows + " rows, expected " + params[l - 1].W.cols);
      }
    }
    if (params[params.length - 1].W.cols !== 1) {
      throw new Error("params: the last layer must have one output unit");
    }
    return params;
  }

  function paramsToArrays(params) {
    return params.map(function (layer) {
      return [toRows(layer.W), Array.from(layer.b)];
    });
  }

  const NN = {
    mulberry32: mulberry32,
    Random: Random,
    DATASETS: DATASETS,
    TEST_FRACTION: TEST_FRACTION,
    makeData: makeData,
    sigmoid: sigmoid,
    ACTIVATIONS: ACTIVATIONS,
    matrix: matrix,
    fromRows: fromRows,
    toRows: toRows,
    layerSizes: layerSizes,
    initParams: initParams,
    forward: forward,
    gradients: gradients,
    sgdUpdate: sgdUpdate,
    predictProba: predictProba,
    evaluate: evaluate,
    paramsFromArrays: paramsFromArrays,
    paramsToArrays: paramsToArrays,
  };

  if (typeof module !== "undefined" && module.exports) {
    module.exports = NN;
  } else {
    root.NN = NN;
  }
})(typeof window !== "undefined" ? window : this);
