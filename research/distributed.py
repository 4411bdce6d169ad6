"""Several processes (hosts), one program: JAX's own distributed runtime, nothing home-made.

`initialize` calls `jax.distributed.initialize()` when a coordinator is configured, by flags or by
the usual environment variables (JAX_COORDINATOR_ADDRESS with JAX_NUM_PROCESSES and
JAX_PROCESS_ID, or a cluster JAX detects itself, such as SLURM). Then `jax.devices()` spans every
process, the engine's model-axis mesh spans every device, and each process trains the models on
its own devices. Results are gathered to every process; only process 0 writes files.
"""

from __future__ import annotations

import os

import jax
import numpy as np
from jax.experimental import multihost_utils

CLUSTER_ENV = ("JAX_COORDINATOR_ADDRESS", "SLURM_JOB_ID", "OMPI_COMM_WORLD_SIZE")


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None) -> None:
  """Joins the distributed runtime if configured; a plain single-process run otherwise."""
  configured = coordinator_address is not None or any(v in os.environ for v in CLUSTER_ENV)
  if not configured or jax.distributed.is_initialized():  # e.g. a second study in one process
    return
  if coordinator_address is not None or os.environ.get("JAX_COORDINATOR_ADDRESS"):
    num_processes = num_processes if num_processes is not None else int(os.environ["JAX_NUM_PROCESSES"])
    process_id = process_id if process_id is not None else int(os.environ["JAX_PROCESS_ID"])
  # Cross-process collectives on CPU (gathering results) go through gloo; GPUs use NCCL.
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  jax.distributed.initialize(coordinator_address=coordinator_address, num_processes=num_processes,
                             process_id=process_id)


def is_writer() -> bool:
  """Only process 0 writes results, figures and reports."""
  return jax.process_index() == 0


def gather(tree):
  """Every leaf of a (possibly process-sharded) pytree as a host numpy array, on every process."""
  if jax.process_count() == 1:
    return jax.device_get(tree)
  return jax.tree.map(np.asarray, multihost_utils.process_allgather(tree, tiled=True))


def agree(value: np.ndarray) -> np.ndarray:
  """Process 0's value on every process (e.g. which units are already done)."""
  if jax.process_count() == 1:
    return np.asarray(value)
  return np.asarray(multihost_utils.broadcast_one_to_all(np.asarray(value)))


def global_array(value: np.ndarray, sharding: jax.sharding.NamedSharding) -> jax.Array:
  """A jax.Array laid out by `sharding`; with several processes each fills only its own shards
  (every process knows the whole value: it is derived from the config)."""
  value = np.asarray(value)
  return jax.make_array_from_callback(value.shape, sharding, lambda index: value[index])
