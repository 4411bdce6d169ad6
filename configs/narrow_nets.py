"""Narrow networks: can a net no wider than its input enclose a bounded region?

  python -m experiments.narrow_nets --workdir workdirs/narrow_nets
  python -m experiments.narrow_nets --config configs/narrow_nets.py:quick --workdir /tmp/narrow

Theory (Nguyen, Mukkamala, Hein 2018; Beise et al. 2018): when no hidden layer is wider than the
input (width 2 for 2-D data), LeakyReLU networks have connected decision regions and ReLU networks
need not; no activation can enclose a bounded region, so concentric rings need width >= 3.
Snopov & Musin (arXiv 2507.12874) found a learned-slope LeakyReLU (PReLU) reached lower validation
loss than ReLU in every configuration on narrow ring data: the `prelu_lower_loss_narrow` hypothesis
and the test-loss figure put our numbers beside theirs (same question; our data, widths and
budget are this config's, not theirs).
The theorem is about the whole plane: a region may be connected only outside the data box, or
through a sliver thinner than a grid cell, and then the grid counts inside the box (components_c*)
see several components. plane_components_c0/c1 (family `plane_topology`) are exact whole-plane
counts for the piecewise-linear nets (NaN for tanh and PReLU, whose slope is learned per layer),
on every seed; the `leaky_connected_at_width_2` hypothesis reads plane_excess_c1, the components
beyond the first (0 for a connected region, or a class never predicted). Limit of the exact count:
pieces thinner than the enumeration's relative sliver tolerance are dropped, and a LeakyReLU(0.01)
net 4 layers deep squeezes its negative side by about 0.01^4, so a joining wedge can be that thin.
In the default run 2 of 64 width-2 LeakyReLU nets (rings:num_rings=3, depth 4) count 2 components
of class 1 although all their weight matrices have full rank, which makes each decision region the
preimage of a half-plane under a homeomorphism and so connected. Those two count against the
hypothesis, so its verdict errs on the side of REFUTED. The grid columns remain for the figures and for what is visible in the box.
Columns to read: plane_components_c0/c1 and plane_excess_c0/c1 (whole plane, exact), components_c0/c1 and holes_c0/c1
(decision-region topology on the grid in the box), topology_match (equals the truth's: inner disk
1 component, outer ring 1 component with 1 hole), test_loss, test_acc.
Default: 2 data sets x 4 activations x 3 widths x 2 depths x 30 seeds = 1,440 small models:
measured 231 s end to end on 2 idle CPU cores (2026-12-02; 487 s shared with another study's
run, load average 1-4), the same results both times; at 16 seeds it was 148 s of training and evaluation on idle cores.
"""

import ml_collections

from configs import relu_vs_leaky


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = relu_vs_leaky.get_config(arg)
  quick = c.num_seeds < 16
  c.study = "narrow_nets"
  # The Playground circle and three alternating annuli (two classes): a harder ring data set.
  c.data.names = ("rings", "rings:num_rings=3")
  c.model.activations = ("relu", "leaky_relu:0.01", "prelu:0.25", "tanh")
  c.model.widths = (2, 3, 4)
  c.model.depths = (2, 4)
  c.optim.num_steps = 3000
  c.optim.eval_every_steps = 500
  if not quick:  # the views' animation: weights saved at every evaluation step (relu_vs_leaky's are every 250)
    c.eval.checkpoint_steps = tuple(range(0, c.optim.num_steps, c.optim.eval_every_steps))
  c.eval.metrics = (*c.eval.metrics, "plane_topology")  # exact whole-plane region counts
  if not quick:
    # Nets this narrow enumerate in milliseconds (deep LeakyReLU ones up to about 0.7 s, their
    # corners lie far out): exact metrics on every seed, so the hypotheses get every pair.
    c.eval.expensive_seeds = c.num_seeds
  if quick:
    c.data.names = ("rings",)
    c.model.widths = (2, 3)
    c.model.depths = (2,)
    c.optim.num_steps = 200
    c.optim.eval_every_steps = 50
  return c
