/*
 * The playground's page: controls, the state kept in the URL, the training loop and
 * the live views (decision boundary, loss curves, network diagram). The maths is in
 * nn.js. A small test hook, window.playground, lets the browser tests drive the page.
 */
(function () {
  "use strict";

  const NN = window.NN;

  // ---------------------------------------------------------------- state and URL

  const LEARNING_RATES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const BATCH_SIZES = [1, 5, 10, 20, 50, 100, 0]; // 0: the whole training set (full batch)
  const DATASET_NAMES = ["xor", "circles", "moons", "spirals", "linear"];
  const ACTIVATION_NAMES = ["sigmoid", "tanh", "relu"];

  /** Defaults of every URL parameter (see COMMON.md's list of names). */
  const DEFAULTS = {
    dataset: "xor",
    noise: 0,
    n: 400,
    layers: 1,
    units: 4,
    activation: "tanh",
    lr: 0.3,
    batch: 10,
    seed: 0,
  };
  const PARAM_ORDER = ["dataset", "noise", "n", "layers", "units", "activation", "lr", "batch", "seed"];

  /**
   * Check one URL or control value; returns the parsed value or throws an Error
   * that says what came and what was expected.
   */
  function parseParam(name, raw) {
    const text = String(raw).trim();
    const number = Number(text);
    const isInt = text !== "" && Number.isInteger(number);
    switch (name) {
      case "dataset":
        if (DATASET_NAMES.indexOf(text) < 0) throw new Error("expected one of " + DATASET_NAMES.join(", "));
        return text;
      case "activation":
        if (ACTIVATION_NAMES.indexOf(text) < 0) throw new Error("expected one of " + ACTIVATION_NAMES.join(", "));
        return text;
      case "noise":
        if (text === "" || !(number >= 0 && number <= 0.5)) throw new Error("expected a number from 0 to 0.5");
        return number;
      case "n":
        if (!isInt || number < 10 || number > 2000) throw new Error("expected a whole number from 10 to 2000");
        return number;
      case "layers":
        if (!isInt || number < 0 || number > 3) throw new Error("expected 0, 1, 2 or 3");
        return number;
      case "units":
        if (!isInt || number < 1 || number > 8) throw new Error("expected a whole number from 1 to 8");
        return number;
      case "lr":
        if (text === "" || !(number > 0 && number <= 100)) throw new Error("expected a number above 0, at most 100");
        return number;
      case "batch":
        if (text === "all") return 0;
        if (!isInt || number < 0) throw new Error("expected a whole number (0 or all: full batch)");
        return number;
      case "seed":
        if (!isInt || number < 0 || number > 4294967295) throw new Error("expected a whole number from 0 to 4294967295");
        return number;
      default:
        throw new Error("unknown parameter");
    }
  }

  function stateFromUrl(search) {
    const state = Object.assign({}, DEFAULTS);
    const problems = [];
    const query = new URLSearchParams(search);
    for (const name of PARAM_ORDER) {
      if (!query.has(name)) continue;
      try {
        state[name] = parseParam(name, query.get(name));
      } catch (err) {
        problems.push(name + "=" + query.get(name) + " (" + err.message + ")");
      }
    }
    return { state: state, problems: problems };
  }

  function queryString(state) {
    const query = new URLSearchParams();
    for (const name of PARAM_ORDER) query.set(name, name === "batch" && state.batch === 0 ? "all" : String(state[name]));
    return "?" + query.toString();
  }

  let state = null;

  function writeUrl() {
    try {
      window.history.replaceState(null, "", queryString(state));
    } catch (err) {
      // Some browsers refuse replaceState on file:// pages; the controls still work.
    }
  }

  // ---------------------------------------------------------------- DOM

  const $ = function (id) { return document.getElementById(id); };
  const controls = {
    dataset: $("dataset"),
    noise: $("noise"),
    n: $("n"),
    seed: $("seed"),
    layers: $("layers"),
    units: $("units"),
    activation: $("activation"),
    lr: $("lr"),
    batch: $("batch"),
  };
  const outputs = { noise: $("noise-value"), n: $("n-value"), layers: $("layers-value"), units: $("units-value") };
  const speedSelect = $("speed");
  const showTest = $("show-test");
  const playButton = $("play");
  const notice = $("notice");

  function addOption(select, value, label) {
    const option = document.createElement("option");
    option.value = String(value);
    option.textContent = label;
    select.appendChild(option);
  }

  function batchLabel(b) {
    return b === 0 ? "all (full batch)" : String(b);
  }

  /** Make sure a select offers `value` (a URL may ask for a value off the list). */
  function ensureOption(select, value, label) {
    for (const option of select.options) if (Number(option.value) === Number(value)) return option.value;
    addOption(select, value, label);
    return String(value);
  }

  function showState() {
    controls.dataset.value = state.dataset;
    controls.activation.value = state.activation;
    controls.noise.value = String(state.noise);
    controls.n.value = String(state.n);
    controls.seed.value = String(state.seed);
    controls.layers.value = String(state.layers);
    controls.units.value = String(state.units);
    controls.lr.value = ensureOption(controls.lr, state.lr, String(state.lr));
    controls.batch.value = ensureOption(controls.batch, state.batch, batchLabel(state.batch));
    outputs.noise.textContent = state.noise.toFixed(2);
    outputs.n.textContent = String(state.n);
    outputs.layers.textContent = String(state.layers);
    outputs.units.textContent = String(state.units);
    controls.units.disabled = state.layers === 0;
    controls.activation.disabled = state.layers === 0;
  }

  // ---------------------------------------------------------------- model and training

  let data = null; // {Xtrain, ytrain, Xtest, ytest, XtrainM, XtestM}
  let params = null;
  let trainRng = null;
  let epoch = 0;
  let history = { train: [], test: [] };
  let latest = { trainLoss: NaN, testLoss: NaN, trainAccuracy: NaN, testAccuracy: NaN };
  let running = false;
  let frameRequest = null;

  function regenerateData() {
    const d = NN.makeData(state.dataset, state.n, state.noise, state.seed);
    d.XtrainM = NN.fromRows(d.Xtrain);
    d.XtestM = NN.fromRows(d.Xtest);
    data = d;
  }

  /** New random weights (seeded), epoch 0, empty history. */
  function resetNetwork() {
    // Separate streams for data, weights and shuffling, all derived from the seed.
    params = NN.initParams(NN.layerSizes(state.layers, state.units), state.activation, (state.seed + 1) >>> 0);
    trainRng = NN.Random((state.seed + 2) >>> 0);
    epoch = 0;
    history = { train: [], test: [] };
    measure();
    notice.textContent = "";
  }

  function measure() {
    const train = NN.evaluate(data.XtrainM, data.ytrain, params, state.activation);
    const test = NN.evaluate(data.XtestM, data.ytest, params, state.activation);
    latest = { trainLoss: train.loss, testLoss: test.loss, trainAccuracy: train.accuracy, testAccuracy: test.accuracy };
    history.train.push(train.loss);
    history.test.push(test.loss);
  }

  function diverged() {
    return !Number.isFinite(latest.trainLoss) || !Number.isFinite(latest.testLoss);
  }

  /** One epoch of mini-batch gradient descent over the shuffled training set. */
  function trainEpoch() {
    const nTrain = data.ytrain.length;
    const order = trainRng.shuffle(Array.from({ length: nTrain }, function (_, i) { return i; }));
    const batch = state.batch <= 0 || state.batch >= nTrain ? nTrain : state.batch;
    for (let start = 0; start < nTrain; start += batch) {
      const rows = order.slice(start, start + batch);
      const Xb = NN.fromRows(rows.map(function (i) { return data.Xtrain[i]; }));
      const yb = rows.map(function (i) { return data.ytrain[i]; });
      const result = NN.gradients(Xb, yb, params, state.activation);
      params = NN.sgdUpdate(params, result.grads, state.lr);
    }
    epoch += 1;
    measure();
  }

  function train(epochs) {
    for (let k = 0; k < epochs; k++) {
      trainEpoch();
      if (diverged()) {
        pause();
        notice.textContent = "The loss is no longer a finite number: training diverged. Lower the learning rate and press Reset.";
        break;
      }
    }
  }

  // ---------------------------------------------------------------- drawing

  const PLANE = 1.5; // the views show [-PLANE, PLANE]^2
  const GRID = 60; // decision boundary resolution (cells per side)

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function hexToRgb(hex) {
    const h = hex.replace("#", "");
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
  }

  function colours() {
    return {
      bg: hexToRgb(cssVar("--bg") || "#ffffff"),
      blue: cssVar("--blue") || "#0072b2",
      orange: cssVar("--orange") || "#e69f00",
      text: cssVar("--text") || "#000000",
      muted: cssVar("--muted") || "#555555",
      border: cssVar("--border") || "#cccccc",
      testOutline: cssVar("--test-outline") || "#000000",
    };
  }

  /** Size a canvas's backing store to its CSS size times the device pixel ratio. */
  function prepareCanvas(canvas) {
    if (!canvas.dataset.aspect) canvas.dataset.aspect = String(canvas.height / canvas.width);
    const aspect = Number(canvas.dataset.aspect);
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.width;
    const pixels = Math.round(width * ratio);
    if (canvas.width !== pixels) {
      canvas.width = pixels;
      canvas.height = Math.round(pixels * aspect);
    }
    const ctx = canvas.getContext("2d");
    const scale = canvas.width / width;
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    return { ctx: ctx, width: width, height: width * aspect };
  }

  const heat = document.createElement("canvas");
  heat.width = GRID;
  heat.height = GRID;
  let gridX = null;

  function planeGrid() {
    if (gridX) return gridX;
    const rows = [];
    for (let r = 0; r < GRID; r++) {
      const x2 = PLANE - (2 * PLANE * (r + 0.5)) / GRID;
      for (let c = 0; c < GRID; c++) rows.push([-PLANE + (2 * PLANE * (c + 0.5)) / GRID, x2]);
    }
    gridX = NN.fromRows(rows);
    return gridX;
  }

  function drawBoundary() {
    const canvas = $("boundary");
    const view = prepareCanvas(canvas);
    const ctx = view.ctx;
    const size = view.width;
    const col = colours();
    const blue = hexToRgb(col.blue);
    const orange = hexToRgb(col.orange);

    // Background: p over the plane, orange (p < 0.5) to blue (p > 0.5) through the page colour.
    const p = NN.predictProba(planeGrid(), params, state.activation);
    const hctx = heat.getContext("2d");
    const image = hctx.createImageData(GRID, GRID);
    for (let i = 0; i < p.length; i++) {
      const v = Number.isFinite(p[i]) ? p[i] : 0.5;
      const target = v >= 0.5 ? blue : orange;
      const strength = 0.6 * Math.abs(2 * v - 1);
      for (let k = 0; k < 3; k++) image.data[4 * i + k] = Math.round(col.bg[k] + (target[k] - col.bg[k]) * strength);
      image.data[4 * i + 3] = 255;
    }
    hctx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(heat, 0, 0, size, size);

    // Axes through the origin.
    const toPx = function (v) { return ((v + PLANE) / (2 * PLANE)) * size; };
    ctx.strokeStyle = col.border;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(toPx(0), 0); ctx.lineTo(toPx(0), size);
    ctx.moveTo(0, toPx(0)); ctx.lineTo(size, toPx(0));
    ctx.stroke();
    ctx.fillStyle = col.muted;
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillText("x₁", size - 16, toPx(0) - 5);
    ctx.fillText("x₂", toPx(0) + 5, 12);

    // Points as in dlcourse.plotting.plot_data: class 0 orange circles, class 1 blue triangles;
    // test points get a dark outline.
    const drawPoints = function (X, y, isTest) {
      for (let i = 0; i < y.length; i++) {
        const px = toPx(X[i][0]);
        const py = size - toPx(X[i][1]);
        ctx.fillStyle = y[i] === 1 ? col.blue : col.orange;
        ctx.strokeStyle = isTest ? col.testOutline : "rgb(" + col.bg.join(",") + ")";
        ctx.lineWidth = isTest ? 1.6 : 1;
        ctx.beginPath();
        if (y[i] === 1) {
          ctx.moveTo(px, py - 4.2);
          ctx.lineTo(px + 3.9, py + 2.8);
          ctx.lineTo(px - 3.9, py + 2.8);
          ctx.closePath();
        } else {
          ctx.arc(px, py, 3.3, 0, 2 * Math.PI);
        }
        ctx.fill();
        ctx.stroke();
      }
    };
    drawPoints(data.Xtrain, data.ytrain, false);
    if (showTest.checked) drawPoints(data.Xtest, data.ytest, true);
  }

  function drawLoss() {
    const canvas = $("loss");
    const view = prepareCanvas(canvas);
    const ctx = view.ctx;
    const w = view.width;
    const h = view.height;
    const col = colours();
    ctx.fillStyle = "rgb(" + col.bg.join(",") + ")";
    ctx.fillRect(0, 0, w, h);
    const finite = history.train.concat(history.test).filter(Number.isFinite);
    const top = Math.max(0.8, Math.min(Math.max.apply(null, finite.length ? finite : [0.8]), 5));
    const left = 34;
    const bottom = h - 18;
    ctx.strokeStyle = col.border;
    ctx.lineWidth = 1;
    ctx.fillStyle = col.muted;
    ctx.font = "11px system-ui, sans-serif";
    for (const tick of [0, top / 2, top]) {
      const y = bottom - (tick / top) * (bottom - 8);
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(w - 4, y); ctx.stroke();
      ctx.fillText(tick.toFixed(2), 2, y + 4);
    }
    ctx.fillText("epoch " + epoch, w - 70, h - 4);
    const count = history.train.length;
    const plot = function (values, colour, dash) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = 2;
      ctx.setLineDash(dash);
      ctx.beginPath();
      const step = Math.max(1, Math.floor(count / (w - left)));
      let started = false;
      for (let i = 0; i < count; i += step) {
        const v = Math.min(values[i], top);
        if (!Number.isFinite(v)) continue;
        const x = left + (count > 1 ? (i / (count - 1)) * (w - left - 4) : 0);
        const y = bottom - (v / top) * (bottom - 8);
        if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
      }
      ctx.stroke();
      ctx.setLineDash([]);
    };
    plot(history.train, col.blue, []);
    plot(history.test, col.orange, [6, 4]);
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  let networkShape = null;
  let edgeElements = [];
  let nodeElements = [];

  function svgElement(name, attrs, parent) {
    const el = document.createElementNS(SVG_NS, name);
    for (const key in attrs) el.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(el);
    return el;
  }

  function buildNetwork() {
    const svg = $("network");
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const sizes = NN.layerSizes(state.layers, state.units);
    const width = 320;
    const height = 280;
    const xs = sizes.map(function (_, l) { return 30 + (l * (width - 60)) / (sizes.length - 1); });
    const ys = sizes.map(function (n) {
      const gap = Math.min(30, (height - 60) / Math.max(n - 1, 1));
      return Array.from({ length: n }, function (_, i) { return height / 2 + (i - (n - 1) / 2) * gap; });
    });
    const edges = svgElement("g", {}, svg);
    const nodes = svgElement("g", {}, svg);
    edgeElements = [];
    nodeElements = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const layerEdges = [];
      for (let i = 0; i < sizes[l]; i++) {
        for (let j = 0; j < sizes[l + 1]; j++) {
          const line = svgElement("line", { class: "edge", x1: xs[l], y1: ys[l][i], x2: xs[l + 1], y2: ys[l + 1][j] }, edges);
          svgElement("title", {}, line);
          layerEdges.push(line);
        }
      }
      edgeElements.push(layerEdges);
    }
    for (let l = 0; l < sizes.length; l++) {
      const layerNodes = [];
      for (let i = 0; i < sizes[l]; i++) {
        const circle = svgElement("circle", { class: "node", cx: xs[l], cy: ys[l][i], r: 10 }, nodes);
        svgElement("title", {}, circle);
        layerNodes.push(circle);
        let label = "";
        if (l === 0) label = "x" + (i + 1);
        else if (l === sizes.length - 1) label = "p";
        if (label) {
          const text = svgElement("text", { class: "node-label", x: xs[l], y: ys[l][i] }, nodes);
          text.textContent = label;
        }
      }
      nodeElements.push(layerNodes);
      const name = l === 0 ? "input" : l === sizes.length - 1 ? "output" : "hidden " + l;
      const caption = svgElement("text", { class: "layer-label", x: xs[l], y: height - 6 }, nodes);
      caption.textContent = name;
    }
    networkShape = sizes.join("-");
    svg.setAttribute("aria-label", "Diagram of the network with layer sizes " + sizes.join(", ") +
      (state.layers ? " and " + state.activation + " hidden units" : " (no hidden layer: logistic regression)"));
    let count = 0;
    for (let l = 0; l + 1 < sizes.length; l++) count += sizes[l] * sizes[l + 1] + sizes[l + 1];
    $("param-count").textContent = "Layer sizes " + sizes.join(" → ") + ": " + count + " weights and biases.";
  }

  function widthOf(value) {
    return Math.min(0.6 + 1.6 * Math.abs(value), 9).toFixed(2);
  }

  function drawNetwork() {
    if (networkShape !== NN.layerSizes(state.layers, state.units).join("-")) buildNetwork();
    const col = colours();
    for (let l = 0; l < params.length; l++) {
      const W = params[l].W;
      for (let i = 0; i < W.rows; i++) {
        for (let j = 0; j < W.cols; j++) {
          const w = W.data[i * W.cols + j];
          const line = edgeElements[l][i * W.cols + j];
          line.setAttribute("stroke", w >= 0 ? col.blue : col.orange);
          line.setAttribute("stroke-width", widthOf(w));
          if (w >= 0) line.removeAttribute("stroke-dasharray"); else line.setAttribute("stroke-dasharray", "5 3");
          line.firstChild.textContent = "W" + (l + 1) + "[" + (i + 1) + "," + (j + 1) + "] = " + w.toFixed(3);
        }
      }
      for (let j = 0; j < W.cols; j++) {
        const b = params[l].b[j];
        const node = nodeElements[l + 1][j];
        node.setAttribute("stroke", b >= 0 ? col.blue : col.orange);
        node.setAttribute("stroke-width", Math.min(1.5 + Math.abs(b), 6).toFixed(2));
        node.firstChild.textContent = "b" + (l + 1) + "[" + (j + 1) + "] = " + b.toFixed(3);
      }
    }
    for (let i = 0; i < nodeElements[0].length; i++) {
      nodeElements[0][i].setAttribute("stroke", col.muted);
      nodeElements[0][i].firstChild.textContent = "input x" + (i + 1);
    }
  }

  function formatNumber(v, digits) {
    return Number.isFinite(v) ? v.toFixed(digits) : "–";
  }

  function drawMetrics() {
    $("epoch").textContent = String(epoch);
    $("train-loss").textContent = formatNumber(latest.trainLoss, 3);
    $("test-loss").textContent = formatNumber(latest.testLoss, 3);
    $("train-accuracy").textContent = formatNumber(latest.trainAccuracy * 100, 1) + " %";
    $("test-accuracy").textContent = formatNumber(latest.testAccuracy * 100, 1) + " %";
  }

  function describe() {
    $("boundary").setAttribute("aria-label",
      "Decision boundary over the plane for the " + controls.dataset.selectedOptions[0].textContent +
      " data after " + epoch + " epochs; test accuracy " + formatNumber(latest.testAccuracy * 100, 1) + " %");
    $("loss").setAttribute("aria-label",
      "Training and test loss over " + epoch + " epochs; now " + formatNumber(latest.trainLoss, 3) +
      " (training) and " + formatNumber(latest.testLoss, 3) + " (test)");
  }

  function render() {
    drawBoundary();
    drawLoss();
    drawNetwork();
    drawMetrics();
    if (!running) describe();
  }

  // ---------------------------------------------------------------- play, pause, step, reset

  function loop() {
    frameRequest = null;
    if (!running) return;
    train(Number(speedSelect.value) || 1);
    render();
    if (running) frameRequest = window.requestAnimationFrame(loop);
  }

  function play() {
    if (running) return;
    if (diverged()) resetNetwork();
    running = true;
    playButton.textContent = "Pause";
    frameRequest = window.requestAnimationFrame(loop);
  }

  function pause() {
    running = false;
    playButton.textContent = "Play";
    if (frameRequest !== null) window.cancelAnimationFrame(frameRequest);
    frameRequest = null;
    describe();
  }

  function step(epochs) {
    pause();
    train(epochs === undefined ? 1 : epochs);
    render();
  }

  function reset() {
    pause();
    resetNetwork();
    render();
  }

  // ---------------------------------------------------------------- wiring

  const REGENERATES_DATA = { dataset: true, noise: true, n: true, seed: true };
  const RESETS_NETWORK = { layers: true, units: true, activation: true };

  /** Apply new values (already parsed): regenerate data and/or reset the network as needed. */
  function applyChanges(changes) {
    let newData = false;
    let newNetwork = false;
    for (const name in changes) {
      if (state[name] === changes[name]) continue;
      state[name] = changes[name];
      if (REGENERATES_DATA[name]) newData = true;
      if (RESETS_NETWORK[name]) newNetwork = true;
    }
    showState();
    writeUrl();
    if (newData) regenerateData();
    if (newData || newNetwork) {
      const wasRunning = running;
      pause();
      resetNetwork();
      if (wasRunning) play();
    }
    render();
  }

  function onControl(name) {
    return function () {
      const el = controls[name];
      if (outputs[name]) outputs[name].textContent = name === "noise" ? Number(el.value).toFixed(2) : el.value;
      let value;
      try {
        value = parseParam(name, el.value);
      } catch (err) {
        notice.textContent = "Ignored " + name + " = " + el.value + ": " + err.message + ".";
        return;
      }
      notice.textContent = "";
      const changes = {};
      changes[name] = value;
      applyChanges(changes);
    };
  }

  function init() {
    for (const lr of LEARNING_RATES) addOption(controls.lr, lr, String(lr));
    for (const b of BATCH_SIZES) addOption(controls.batch, b, batchLabel(b));

    const parsed = stateFromUrl(window.location.search);
    state = parsed.state;
    showState();
    writeUrl();
    regenerateData();
    resetNetwork();
    if (parsed.problems.length) {
      notice.textContent = "Ignored URL parameters: " + parsed.problems.join("; ") + ".";
    }

    for (const name in controls) {
      // Sliders update while dragged ("input"); the rest on "change".
      const event = controls[name].type === "range" ? "input" : "change";
      controls[name].addEventListener(event, onControl(name));
    }
    showTest.addEventListener("change", render);
    playButton.addEventListener("click", function () { if (running) pause(); else play(); });
    $("step").addEventListener("click", function () { step(1); });
    $("reset").addEventListener("click", reset);
    window.addEventListener("resize", render);
    // Redraw the canvases when the theme changes (the course site toggles data-theme).
    new MutationObserver(render).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    render();
  }

  init();

  // ---------------------------------------------------------------- test hook

  function gradientsToArrays(result) {
    return {
      loss: result.loss,
      grads: result.grads.map(function (g) { return [NN.toRows(g.W), Array.from(g.b)]; }),
    };
  }

  window.playground = {
    /** A copy of the current settings (the URL parameters). */
    get state() { return Object.assign({}, state); },
    /** Change settings as the controls would, e.g. setState({dataset: "moons", layers: 2}). */
    setState: function (changes) {
      const parsed = {};
      for (const name in changes) {
        try {
          parsed[name] = parseParam(name, changes[name]);
        } catch (err) {
          throw new Error(name + ": got " + JSON.stringify(changes[name]) + ", " + err.message);
        }
      }
      applyChanges(parsed);
    },
    /** Mean BCE and its gradients for weights given as [[W rows, b], ...]. */
    lossAndGradients: function (X, y, paramList, activation) {
      return gradientsToArrays(NN.gradients(NN.fromRows(X, "X"), Array.from(y), NN.paramsFromArrays(paramList), activation));
    },
    predictProba: function (X, paramList, activation) {
      return NN.predictProba(NN.fromRows(X, "X"), NN.paramsFromArrays(paramList), activation);
    },
    getData: function () {
      return { Xtrain: data.Xtrain, ytrain: data.ytrain, Xtest: data.Xtest, ytest: data.ytest };
    },
    getWeights: function () { return NN.paramsToArrays(params); },
    /** Load weights [[W rows, b], ...] shaped like the current network's. */
    setWeights: function (paramList) {
      const loaded = NN.paramsFromArrays(paramList);
      const sizes = NN.layerSizes(state.layers, state.units);
      const got = [loaded[0].W.rows].concat(loaded.map(function (p) { return p.W.cols; }));
      if (got.join(",") !== sizes.join(",")) {
        throw new Error("params: got layer sizes " + got.join(", ") + ", expected " + sizes.join(", "));
      }
      params = loaded;
      history = { train: [], test: [] };
      measure();
      render();
    },
    metrics: function () {
      return Object.assign({ epoch: epoch, running: running }, latest);
    },
    history: function () { return { train: history.train.slice(), test: history.test.slice() }; },
    play: play,
    pause: pause,
    step: step,
    reset: reset,
  };
})();
