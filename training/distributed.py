"""Distributed data parallel training with PyTorch's own engine: run a training command under `torchrun`.

torchrun --nproc-per-node 2 -m training.train ecg --epochs 3     # 2 processes on this machine (gloo on CPU)

Each process trains on its share of every global batch (`batch_size` stays the global batch), gradients are averaged
by DistributedDataParallel, and only rank 0 saves, logs and prints.
"""

from __future__ import annotations

import os
from typing import Iterable, Iterator

import torch
import torch.distributed as dist
from torch.utils.data import Sampler

from core.errors import ConfigError


def world_size() -> int:
    """Number of training processes (torchrun's WORLD_SIZE; 1 without torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def is_main() -> bool:
    """True in the process that saves, logs and prints (rank 0, or the only one)."""
    return rank() == 0


def setup() -> None:
    """Join the process group of a torchrun launch (nccl on GPU, gloo on CPU); nothing in a single process."""
    if world_size() > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")


def cleanup() -> None:
    """Leave the process group once every process is done (a process exiting without this can abort at exit)."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def local_batch(batch_size: int) -> int:
    """This process's share of the global batch, which must split evenly."""
    world = world_size()
    if batch_size % world:
        raise ConfigError(
            f"Config field batch_size={batch_size} does not split over {world} processes; give a multiple of {world}."
        )
    return batch_size // world


class ShardedSampler(Sampler[int]):
    """This process's items of a global sampling order, interleaved like DistributedSampler (rank, rank + N, ...),
    after the order is cut to whole global batches: together the processes see exactly the global batches one process
    would (every process draws the same order from the same seed), so N processes train like one."""

    def __init__(self, order: Iterable[int], *, global_batch: int, rank: int, world: int) -> None:
        self.order, self.global_batch, self.rank, self.world = order, global_batch, rank, world

    def __iter__(self) -> Iterator[int]:
        order = list(self.order)
        return iter(order[self.rank : len(order) // self.global_batch * self.global_batch : self.world])

    def __len__(self) -> int:
        return len(self.order) // self.global_batch * self.global_batch // self.world


def all_sum(*values: float) -> list[float]:
    """Sums over the processes (the values themselves in a single process)."""
    if not dist.is_initialized():
        return list(values)
    tensor = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(tensor)
    return tensor.tolist()
