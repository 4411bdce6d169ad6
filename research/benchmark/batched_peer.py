"""The strongest PyTorch peer: every model of a workload stacked into one set of tensors.

What a PyTorch user who knows the field writes instead of a loop over models: the M models' layer
weights stacked along a leading model axis (W_l: M x in x out, b_l: M x out), one batched matmul
per layer for all models, one loss that is the sum of the models' own mean losses (so each model's
gradient is exactly its own), and one Adam over the stacked weights (Adam is elementwise, so it is
M independent Adams with the same hyper-parameters). Three ways to write the forward pass:

  bmm          torch.baddbmm per layer (the first layer broadcasts the shared inputs);
  vmap         torch.func.vmap of the one-model forward over the stacked weights;
  bmm+compile  the bmm forward and loss through torch.compile (inductor, C++ on CPU);
  bmm/G        bmm on groups of G models, each group's whole run before the next: a stack of all
               the W-mid models (64 x 1,024 x 64 activations, 16 MB a layer) streams from memory
               at every op, a group of a few stays in cache (the engine does the same on CPU).

Each runs with every thread count the config asks for; the benchmark keeps the fastest as the
peer and reports the others in the row's note.
"""

from __future__ import annotations

import numpy as np

from research.benchmark.measure import DEFAULT_TORCH_THREADS, torch_or_none

VARIANTS = ("bmm", "vmap", "bmm+compile", "bmm/G")


def parse_variant(variant: str) -> tuple[str, int]:
  """(forward, models per group; 0 = all at once) of a variant name such as "bmm" or "bmm/4"."""
  name, slash, group = variant.partition("/")
  if name in VARIANTS and not slash:
    return name, 0
  if name == "bmm" and slash and group.isdigit() and int(group) >= 1:
    return name, int(group)
  raise ValueError(f"torch batched variant {variant!r} unknown; valid: {', '.join(VARIANTS)} "
                   f"(G a positive number of models per group, e.g. bmm/4)")


def _leaky(torch, h, slope):
  # The engine's leaky(x, slope) = where(x >= 0, x, slope * x); slope broadcasts per model.
  return torch.where(h >= 0, h, slope * h)


def forward_bmm(torch, ws, bs, slopes, x):
  """Logits M x N of M stacked models on shared inputs x (N x D): one baddbmm per layer."""
  slope = slopes[:, None, None]
  h = torch.baddbmm(bs[0][:, None, :], x.expand(ws[0].shape[0], *x.shape), ws[0])
  for w, b in zip(ws[1:], bs[1:]):
    h = torch.baddbmm(b[:, None, :], _leaky(torch, h, slope), w)
  return h[..., 0]


def _forward_one(torch, ws, bs, slope, x):
  h = x @ ws[0] + bs[0]
  for w, b in zip(ws[1:], bs[1:]):
    h = _leaky(torch, h, slope) @ w + b
  return h[..., 0]


def _summed_loss(torch, logits, y):
  """Sum over models of each model's mean binary cross-entropy (the engine's loss per model)."""
  per_point = torch.nn.functional.binary_cross_entropy_with_logits(
      logits, y.expand_as(logits), reduction="none")
  return per_point.mean(dim=1).sum()


class TorchBatched:
  """M models trained together, full batch, one Adam over the stacked weights."""

  def __init__(self, lr: float, variant: str = "bmm"):
    forward, self.group = parse_variant(variant)
    self.torch = torch_or_none()
    if self.torch is None:
      raise ValueError("the batched torch peer needs torch (pip install -e '.[benchmark]')")
    self.lr, self.variant = lr, variant
    torch = self.torch
    if forward == "vmap":
      one = lambda ws, bs, slope, x: _forward_one(torch, ws, bs, slope, x)
      self.forward = torch.func.vmap(one, in_dims=(0, 0, 0, None))
    else:
      self.forward = lambda ws, bs, slopes, x: forward_bmm(torch, ws, bs, slopes, x)
    loss = lambda ws, bs, slopes, x, y: _summed_loss(torch, self.forward(ws, bs, slopes, x), y)
    # dynamic=False: one program per shape, as XLA compiles; the compared models (a smaller M)
    # get their own. One compiled function serves every thread count (inductor's C++ reads the
    # thread count when it runs), so it is compiled once per shape, not once per thread count.
    self.loss = torch.compile(loss, dynamic=False) if variant == "bmm+compile" else loss

  def build(self, kernels: list[np.ndarray], biases: list[np.ndarray], slopes: np.ndarray):
    """Stacked trainable tensors from the engine's stacked initial weights (kernels M x in x out)."""
    torch = self.torch
    ws = [torch.tensor(np.asarray(k, np.float32), requires_grad=True) for k in kernels]
    bs = [torch.tensor(np.asarray(b, np.float32), requires_grad=True) for b in biases]
    return ws, bs, torch.tensor(np.asarray(slopes, np.float32))

  def train(self, models, x: np.ndarray, y: np.ndarray, steps: int, threads: int = 0):
    """`steps` full-batch Adam steps of every stacked model on `threads` threads (0: PyTorch's
    default); returns the models (trained in place)."""
    torch = self.torch
    torch.set_num_threads(threads or DEFAULT_TORCH_THREADS["n"])
    ws, bs, slopes = models
    xt, yt = torch.from_numpy(np.asarray(x, np.float32)), torch.from_numpy(np.asarray(y, np.float32))
    group = self.group or len(slopes)
    for start in range(0, len(slopes), group):
      # A group's weights are views of the stacked tensors' rows: trained in place, so `models`
      # holds every group's result (each group has its own Adam: Adam is per element anyway).
      part = slice(start, start + group)
      with torch.no_grad():
        gws, gbs = [w[part].clone().requires_grad_() for w in ws], [b[part].clone().requires_grad_() for b in bs]
      opt = torch.optim.Adam([*gws, *gbs], lr=self.lr)
      for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        self.loss(gws, gbs, slopes[part], xt, yt).backward()
        opt.step()
      with torch.no_grad():
        for full, trained in zip([*ws, *bs], [*gws, *gbs]):
          full[part] = trained
    return models

  def evaluate(self, models, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean loss, accuracy) per model on (x, y)."""
    torch = self.torch
    ws, bs, slopes = models
    yt = torch.from_numpy(np.asarray(y, np.float32))
    with torch.no_grad():
      logits = forward_bmm(torch, ws, bs, slopes, torch.from_numpy(np.asarray(x, np.float32)))
      loss = torch.nn.functional.binary_cross_entropy_with_logits(
          logits, yt.expand_as(logits), reduction="none").mean(dim=1)
      acc = ((logits > 0).to(torch.float32) == yt).to(torch.float32).mean(dim=1)
    return loss.numpy(), acc.numpy()
