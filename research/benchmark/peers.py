"""The loops the engine is compared with: what a newcomer writes, one model at a time."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from research.benchmark.measure import DEFAULT_TORCH_THREADS, torch_or_none
from research.models import ModelSpec, evaluate, forward, graphdef_of, loss_and_accuracy


class JaxLoop:
  """What a JAX newcomer writes: one model at a time, one jitted Adam step per Python iteration."""

  def __init__(self, spec: ModelSpec, lr: float):
    graphdef = graphdef_of(spec)
    self.tx = optax.adam(lr)

    def loss_fn(params, rest, x, y):
      logits, _ = forward(graphdef, params, rest, x)
      return loss_and_accuracy(logits, y)[0]

    @jax.jit
    def step(params, rest, opt_state, x, y):
      grads = jax.grad(loss_fn)(params, rest, x, y)
      updates, opt_state = self.tx.update(grads, opt_state, params)
      return optax.apply_updates(params, updates), opt_state

    self.step = step
    self.accuracy = jax.jit(lambda p, r, x, y: evaluate(graphdef, p, r, x, y)[1])

  def train(self, params, rest, x, y, steps: int):
    """Final params after `steps` steps (blocks until done)."""
    x, y = jnp.asarray(x), jnp.asarray(y)
    opt_state = self.tx.init(params)
    for _ in range(steps):
      params, opt_state = self.step(params, rest, opt_state, x, y)
    return jax.block_until_ready(params)


class TorchLoop:
  """A plain sequential PyTorch CPU loop: nn.Sequential, BCEWithLogitsLoss, torch.optim.Adam."""

  def __init__(self, lr: float, threads: int = 0):
    self.torch = torch_or_none()
    self.threads = threads or DEFAULT_TORCH_THREADS["n"]
    self.lr = lr

  def build(self, kernels: list[np.ndarray], biases: list[np.ndarray], slope: float):
    """The network with the engine's initial weights (a torch Linear stores W transposed)."""
    torch = self.torch
    layers = []
    for i, (k, b) in enumerate(zip(kernels, biases)):
      linear = torch.nn.Linear(*k.shape)
      with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(np.array(k, np.float32).T.copy()))
        linear.bias.copy_(torch.from_numpy(np.array(b, np.float32)))
      layers.append(linear)
      if i < len(kernels) - 1:
        layers.append(torch.nn.LeakyReLU(float(slope)))
    return torch.nn.Sequential(*layers)

  def train(self, net, x: np.ndarray, y: np.ndarray, steps: int):
    torch = self.torch
    torch.set_num_threads(self.threads)
    xt, yt = torch.from_numpy(np.asarray(x, np.float32)), torch.from_numpy(np.asarray(y, np.float32))
    opt = torch.optim.Adam(net.parameters(), lr=self.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(steps):
      opt.zero_grad(set_to_none=True)
      loss_fn(net(xt)[:, 0], yt).backward()
      opt.step()
    return net

  def accuracy(self, net, x: np.ndarray, y: np.ndarray) -> float:
    with self.torch.no_grad():
      logits = net(self.torch.from_numpy(np.asarray(x, np.float32)))[:, 0].numpy()
    return float(np.mean((logits > 0).astype(np.int32) == y))
