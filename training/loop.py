"""The one training loop: weighted or plain sampling, gradient clipping, ReduceLROnPlateau or cosine decay,
early stopping."""

from __future__ import annotations

import copy
import random
from typing import Callable

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset, WeightedRandomSampler
from tqdm.auto import tqdm

from training.config import TrainConfig


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
    """
    n_inputs = len(model.input_names)
    loader = DataLoader(train, batch_size=config.batch_size, sampler=sampler, shuffle=sampler is None, drop_last=True)
    val_loader = DataLoader(val, batch_size=2048)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    cosine = config.schedule == "cosine"  # stepped every batch, from lr down to zero at the last epoch
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs * len(loader))
        if cosine
        else torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.5, patience=config.lr_patience)
    )
    history, best_score, best_state, stale = [], -np.inf, None, 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        total, count = 0.0, 0
        for batch in tqdm(loader, desc=f"epoch {epoch}/{config.epochs}", leave=False):
            if augment is not None:
                batch = augment(list(batch))
            optimizer.zero_grad()
            loss = loss_fn(model(*batch[:n_inputs]), *batch[n_inputs:])
            loss.backward()
            if config.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            if cosine:
                scheduler.step()
            total += loss.item() * len(batch[0])
            count += len(batch[0])
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
        tqdm.write(
            f"epoch {epoch:3d}  train_loss {row['train_loss']:.4f}  val_loss {row['val_loss']:.4f}  "
            f"val_score {score:.4f}  lr {row['lr']:.1e}"
        )
        if not cosine:
            scheduler.step(score)
        if keep_last:
            continue
        if score > best_score:
            best_score, best_state, stale = score, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if config.patience and stale >= config.patience:
                tqdm.write(f"early stop: no validation gain in {stale} epochs")
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history
