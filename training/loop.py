"""The one training loop: weighted or plain sampling, gradient clipping, ReduceLROnPlateau or cosine decay,
early stopping; tracked, resumable and distributed (torchrun) as options of the same loop."""

from __future__ import annotations

import copy
import random
from typing import Callable

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, RandomSampler, TensorDataset, WeightedRandomSampler
from tqdm.auto import tqdm

from core.errors import ConfigError
from training import distributed, tracking
from training.config import TrainConfig
from training.distributed import ShardedSampler


def seed_everything(seed: int, threads: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)


def tensors(*arrays: np.ndarray) -> TensorDataset:
    """A dataset of float32 inputs and an int64 or float32 target (the last array)."""
    *inputs, target = arrays
    target = torch.as_tensor(target)
    return TensorDataset(*(torch.as_tensor(np.asarray(x, dtype=np.float32)) for x in inputs), target)


def balanced_sampler(labels: np.ndarray, power: float = 0.5) -> WeightedRandomSampler:
    """Sample class c with weight count_c ** -power: 1 balances the classes fully, 0 keeps the data's balance."""
    counts = np.bincount(labels)
    weights = (np.maximum(counts, 1).astype(float) ** -power)[labels]
    return WeightedRandomSampler(torch.as_tensor(weights), num_samples=len(labels), replacement=True)


@torch.inference_mode()
def predict_outputs(model: torch.nn.Module, dataset: Dataset, *, n_inputs: int, batch_size: int = 2048) -> np.ndarray:
    """Model outputs over a dataset whose items are (inputs..., targets...)."""
    model.eval()
    outputs = [model(*batch[:n_inputs]).numpy() for batch in DataLoader(dataset, batch_size=batch_size)]
    return np.concatenate(outputs)


def rng_state() -> dict:
    """The states of every random generator training draws from (python, numpy, torch), in types that
    `torch.load(..., weights_only=True)` reads back (numpy's key array as a tensor)."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    numpy_state = (kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached)
    return {"python": random.getstate(), "numpy": numpy_state, "torch": torch.get_rng_state()}


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    kind, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    torch.set_rng_state(state["torch"])


def fit(
    model: torch.nn.Module,
    train: Dataset,
    val: Dataset,
    config: TrainConfig,
    *,
    loss_fn: Callable[..., torch.Tensor],
    score_fn: Callable[[np.ndarray], float],
    sampler: torch.utils.data.Sampler | None = None,
    augment: Callable[[list[torch.Tensor]], list[torch.Tensor]] | None = None,
    keep_last: bool = False,
) -> list[dict]:
    """Train `model` in place and restore its best state by validation score; returns one dict per epoch.

    Batches are (inputs..., targets...): the model takes the first `len(model.input_names)`;
    `loss_fn(output, *targets)`.
    score_fn: validation outputs -> score, higher is better (drives early stopping and the kept state).
    keep_last: run every epoch and keep the last state (a refit on more data for an epoch count chosen on validation).

    Under `python -m training.train` each epoch is logged to the run's tracker and its state (model, optimizer,
    scheduler, best state, random generators, which drive the sampler) saved, so `--resume RUN_FOLDER` continues
    from the last finished epoch and ends with the weights of an uninterrupted run. Under torchrun the model is
    wrapped in DistributedDataParallel and each process trains on its share of every global batch.
    """
    n_inputs = len(model.input_names)
    distributed.setup()
    world, main = distributed.world_size(), distributed.is_main()
    say = tqdm.write if main else lambda *_: None
    if world > 1:
        order = sampler if sampler is not None else RandomSampler(train)
        shard = ShardedSampler(order, global_batch=config.batch_size, rank=distributed.rank(), world=world)
        loader = DataLoader(train, batch_size=distributed.local_batch(config.batch_size), sampler=shard, drop_last=True)
        net = DistributedDataParallel(model, static_graph=True)  # a part may sit unused (a phase of two)
    else:
        loader = DataLoader(
            train, batch_size=config.batch_size, sampler=sampler, shuffle=sampler is None, drop_last=True
        )
        net = model
    val_loader = DataLoader(val, batch_size=2048)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    cosine = config.schedule == "cosine"  # stepped every batch, from lr down to zero at the last epoch
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs * len(loader))
        if cosine
        else torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.5, patience=config.lr_patience)
    )
    run = tracking.current_run(config)
    if config.resume and run is None:
        raise ConfigError(
            f"Config field resume={config.resume!r} needs the run of a training command; "
            "use python -m training.train TASK --resume RUN_FOLDER."
        )
    fit_number = run.next_fit() if run else 0
    saved = run.load_state(fit_number) if run else None
    history, best_score, best_state, stale, first = [], -np.inf, None, 0, 1
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        history, best_score, best_state, stale = (
            saved["history"],
            saved["best_score"],
            saved["best_state"],
            saved["stale"],
        )
        set_rng_state(saved["rng"])
        run.step, first = saved["step"], saved["epoch"] + 1
        say(f"resumed from epoch {saved['epoch']} of {run.folder}" + (" (finished)" if saved["done"] else ""))
        if saved["done"]:
            model.eval()
            return history

    def save(epoch: int, done: bool) -> None:
        if run is not None:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
            state |= {"scheduler": scheduler.state_dict(), "history": history, "best_score": best_score}
            state |= {"best_state": best_state, "stale": stale, "rng": rng_state(), "epoch": epoch, "done": done}
            state["step"] = run.step
            run.save_state(fit_number, state)

    for epoch in range(first, config.epochs + 1):
        model.train()
        total, count = 0.0, 0
        for batch in tqdm(loader, desc=f"epoch {epoch}/{config.epochs}", leave=False, disable=not main):
            if augment is not None:
                batch = augment(list(batch))
            optimizer.zero_grad()
            loss = loss_fn(net(*batch[:n_inputs]), *batch[n_inputs:])
            loss.backward()
            if config.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            if cosine:
                scheduler.step()
            total += loss.item() * len(batch[0])
            count += len(batch[0])
        total, count = distributed.all_sum(total, count)
        model.eval()
        with torch.inference_mode():
            val_losses, val_outputs = [], []
            for batch in val_loader:
                out = model(*batch[:n_inputs])
                val_losses.append(float(loss_fn(out, *batch[n_inputs:])) * len(batch[0]))
                val_outputs.append(out.numpy())
        score = float(score_fn(np.concatenate(val_outputs)))
        row = {
            "epoch": epoch,
            "train_loss": total / max(count, 1),
            "val_loss": sum(val_losses) / len(val),
            "val_score": score,
            "lr": optimizer.param_groups[0]["lr"],
        }
        history.append(row)
        say(
            f"epoch {epoch:3d}  train_loss {row['train_loss']:.4f}  val_loss {row['val_loss']:.4f}  "
            f"val_score {score:.4f}  lr {row['lr']:.1e}"
        )
        if not cosine:
            scheduler.step(score)
        stop = False
        if not keep_last:
            if score > best_score:
                best_score, best_state, stale = score, copy.deepcopy(model.state_dict()), 0
            else:
                stale += 1
                stop = bool(config.patience and stale >= config.patience)
        if run is not None:
            run.log_epoch(fit_number, row)
        save(epoch, done=False)
        if stop:
            say(f"early stop: no validation gain in {stale} epochs")
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    save(history[-1]["epoch"] if history else 0, done=True)
    return history
