"""Placement-robust activity recognition: orientation-free window features (core.har.features) of UCI HAR (waist),
sp_sw_har (trouser pocket) and the Oxford walks (hand, pocket, bag, neck pouch, armband), gradient-boosted trees for
the activity and for the placement, chosen by cross-validation by person over the training people only.

    python -m training.har_placement --cv            # out-of-fold figures per dataset for each candidate
    python -m training.har_placement --cv --test     # ... then the chosen candidate, trained on all training
                                                     # people, once on the test people
    python -m training.har_placement --ship          # the chosen candidate trained on all training people, written
                                                     # to checkpoints/har-placement and evaluated there

The test people are fixed in core.har.recordings (UCI official test subjects; sp_sw_har s04, s08, s12, s16, s20;
Oxford user1, user2). Measured 2026-12-05 (4 folds, 42 training people): chosen "transitions folded into still,
per-dataset weights, placement sees how the phone is held", out of fold pocket walking vs seated 97.8%, pocket
placement 97.1%, Oxford walking recall >= 99.3% per placement, Oxford placement 91.7%; then once on the test
people: pocket walking vs seated 96.4% (walking 96.3%, seated 100%), pocket placement 100% of recordings, Oxford
walking recall >= 99.3% per placement, Oxford placement 83.3% (bag/other 4 of 6), steps in the bouts found at most
1.5% median error per placement.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core.har.data import HAR_FS, STEP, WINDOW
from core.har.features import FEATURE_NAMES, window_features
from core.har.placement import PLACEMENTS, recording_placement
from core.har.recordings import oxford_recordings, pocket_recordings, uci_recordings
from core.har.steps import acc_steps, bout_steps, walking_bouts

MOTIONS = ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "STILL", "TRANSITION")
"""What the placement-robust model tells apart; the posture of STILL comes from the placement (see core.har)."""
TO_MOTION = {
    "WALKING": "WALKING",
    "WALKING_UPSTAIRS": "WALKING_UPSTAIRS",
    "WALKING_DOWNSTAIRS": "WALKING_DOWNSTAIRS",
    "SITTING": "STILL",
    "STANDING": "STILL",
    "LAYING": "STILL",
    "SEATED": "STILL",
    "TRANSITION": "TRANSITION",
}
WALKING_MOTIONS = (0, 1, 2)
CHOSEN = "transitions folded into still, per-dataset weights, placement sees how the phone is held"
"""Chosen out of fold on the training people (`--cv`, commit f290f01): 6 of 6 targets met."""
SHIPPED = Path("checkpoints/har-placement")
CACHE = Path(os.environ.get("HAR_PLACEMENT_CACHE", "/tmp/har_placement_windows.npz"))


@dataclass
class Windows:
    """Every labelled window of the three datasets: features, gravity direction in the phone's frame, motion (index
    into MOTIONS, -1: unscored), original label, placement index, recording, person, dataset, position and test
    flag."""

    X: np.ndarray
    direction: np.ndarray
    motion: np.ndarray
    label: np.ndarray
    placement: np.ndarray
    recording: np.ndarray
    person: np.ndarray
    dataset: np.ndarray
    position: np.ndarray
    test: np.ndarray

    def take(self, rows: np.ndarray) -> Windows:
        return Windows(**{k: v[rows] for k, v in vars(self).items()})


def window_labels(labels: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The majority label of each window's samples ("" when unscored samples are the majority)."""
    names, codes = np.unique(labels, return_inverse=True)
    counts = np.stack(
        [np.concatenate([[0], np.cumsum(codes == i)]) for i in range(len(names))], axis=1
    )  # (n + 1, names)
    inside = counts[starts + WINDOW] - counts[starts]
    return names[inside.argmax(axis=1)]


def build_windows() -> Windows:
    """Features and labels of every window of the three datasets (cached in CACHE)."""
    if CACHE.is_file():
        with np.load(CACHE, allow_pickle=False) as stored:
            return Windows(**{k: stored[k] for k in stored.files})
    recordings = uci_recordings("train") + uci_recordings("test") + pocket_recordings() + oxford_recordings()
    parts = []
    for r in tqdm(recordings, desc="Window features", mininterval=5):
        features, starts, direction = window_features(r.acc)
        labels = window_labels(r.labels, starts)
        n = len(starts)
        parts.append(
            dict(
                X=features,
                direction=direction,
                motion=np.array([MOTIONS.index(TO_MOTION[x]) if x else -1 for x in labels]),
                label=labels,
                placement=np.full(n, PLACEMENTS.index(r.placement)),
                recording=np.full(n, r.name),
                person=np.full(n, r.person),
                dataset=np.full(n, r.dataset),
                position=np.full(n, r.position),
                test=np.full(n, r.test),
            )
        )
    windows = Windows(**{k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
    np.savez(CACHE, **vars(windows))
    return windows


HGB = dict(max_iter=200, learning_rate=0.1, max_leaf_nodes=31)
CANDIDATES = {
    "per-dataset weights": dict(hgb=HGB, weights="dataset", held=False),
    "per-dataset-and-class weights": dict(hgb=HGB, weights="dataset-class", held=False),
    "per-dataset weights, placement sees how the phone is held": dict(hgb=HGB, weights="dataset", held=True),
    "per-dataset-and-class weights, placement sees how the phone is held": dict(
        hgb=HGB, weights="dataset-class", held=True
    ),
    "transitions folded into still, per-dataset weights, placement sees how the phone is held": dict(
        hgb=HGB, weights="dataset", held=True, fold_transitions=True
    ),
    "MLP (64 hidden), per-dataset weights, placement sees how the phone is held": dict(
        mlp=dict(hidden_layer_sizes=(64,), alpha=1e-3, max_iter=300), weights="dataset", held=True
    ),
    "MLP (128, 64 hidden), transitions folded into still, per-dataset weights, placement sees how the phone is held": (
        dict(
            mlp=dict(hidden_layer_sizes=(128, 64), alpha=1e-3, max_iter=300),
            weights="dataset",
            held=True,
            fold_transitions=True,
        )
    ),
}
"""weights: each dataset (and class) counts as much as the others, whatever its window count; held: the placement
classifier also gets the gravity direction in the phone's frame (absolute components: which phone axis is up, as
a belt clip, a trouser pocket or a hand holds it), the motion classifier never does; fold_transitions: standing up
and sitting down are trained as still (the nearest activity) instead of their own class."""


def balanced_weights(*groups: np.ndarray) -> np.ndarray:
    """Sample weights giving every combination of the group labels the same total weight (mean weight 1)."""
    keys = np.array(["|".join(map(str, parts)) for parts in zip(*groups)])
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    weights = 1.0 / counts[inverse]
    return weights * len(weights) / weights.sum()


def placement_inputs(data: Windows, held: bool) -> np.ndarray:
    return np.hstack([data.X, np.abs(data.direction)]) if held else data.X


def classifier(candidate: dict, seed: int):
    """A fresh classifier of the candidate's family: gradient-boosted trees, or an MLP on standardised features."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if "mlp" in candidate:
        return make_pipeline(StandardScaler(), MLPClassifier(random_state=seed, **candidate["mlp"]))
    return HistGradientBoostingClassifier(random_state=seed, **candidate["hgb"])


def fit_weighted(model, X: np.ndarray, y: np.ndarray, weights: np.ndarray) -> None:
    """Fit `model` (a classifier or a pipeline ending in one) with sample weights."""
    key = f"{model.steps[-1][0]}__sample_weight" if hasattr(model, "steps") else "sample_weight"
    model.fit(X, y, **{key: weights})


def fit_models(train: Windows, candidate: dict, *, seed: int = 0):
    """The motion classifier (every scored window) and the placement classifier (walking windows only)."""
    scored = train.motion >= 0
    groups = (
        (train.dataset[scored],) if candidate["weights"] == "dataset" else (train.dataset[scored], train.motion[scored])
    )
    motion = classifier(candidate, seed)
    targets = train.motion[scored]
    if candidate.get("fold_transitions"):
        targets = np.where(targets == MOTIONS.index("TRANSITION"), MOTIONS.index("STILL"), targets)
    fit_weighted(motion, train.X[scored], targets, balanced_weights(*groups))
    walking = np.isin(train.motion, WALKING_MOTIONS)
    placement = classifier(candidate, seed)
    fit_weighted(
        placement,
        placement_inputs(train, candidate["held"])[walking],
        train.placement[walking],
        balanced_weights(train.placement[walking]),
    )
    return motion, placement, candidate["held"]


def predict_all(models, data: Windows) -> tuple[np.ndarray, np.ndarray]:
    """Motion probabilities (windows, len(MOTIONS)) and placement probabilities (windows, len(PLACEMENTS))."""
    motion, placement, held = models
    p_motion = np.zeros((len(data.X), len(MOTIONS)))
    p_motion[:, motion.classes_] = motion.predict_proba(data.X)
    p_place = np.zeros((len(data.X), len(PLACEMENTS)))
    p_place[:, placement.classes_] = placement.predict_proba(placement_inputs(data, held))
    return p_motion, p_place


def score(data: Windows, p_motion: np.ndarray, p_place: np.ndarray) -> dict:
    """Figures per dataset: UCI motion accuracy, pocket WALKING vs SEATED accuracy and placement-as-pocket rate,
    Oxford WALKING recall and placement accuracy per placement."""
    predicted = p_motion.argmax(axis=1)
    walking_pred = np.isin(predicted, WALKING_MOTIONS)
    out = {}
    uci = (data.dataset == "uci_har") & (data.motion >= 0)
    if uci.any():
        out["uci_motion_accuracy"] = float(np.mean(predicted[uci] == data.motion[uci]))
    pocket = data.dataset == "sp_sw_har"
    if pocket.any():
        ws = pocket & np.isin(data.label, ["WALKING", "SEATED"])
        truth_walk = data.label[ws] == "WALKING"
        correct = np.where(truth_walk, walking_pred[ws], predicted[ws] == MOTIONS.index("STILL"))
        out["pocket_walking_vs_seated_accuracy"] = float(correct.mean())
        out["pocket_walking_recall"] = float(walking_pred[ws][truth_walk].mean())
        out["pocket_seated_recall"] = float(correct[~truth_walk].mean())
        transition = pocket & (data.label == "TRANSITION")
        if transition.any():
            out["pocket_transition_recall"] = float(np.mean(predicted[transition] == MOTIONS.index("TRANSITION")))
        out["pocket_placement_rate"] = _placement_rate(data, pocket, p_motion, p_place)
    oxford = data.dataset == "oxford"
    if oxford.any():
        table = {}
        for place in PLACEMENTS:
            rows = oxford & (data.placement == PLACEMENTS.index(place)) & (data.motion >= 0)
            if rows.any():
                table[place] = {
                    "walking_recall": float(walking_pred[rows].mean()),
                    "placement_accuracy": _placement_rate(data, rows, p_motion, p_place),
                    "walks": int(len(np.unique(data.recording[rows]))),
                }
        out["oxford"] = table
        known = oxford & (data.motion >= 0)
        out["oxford_placement_accuracy"] = _placement_rate(data, known, p_motion, p_place)
    return out


def _placement_rate(
    data: Windows, rows: np.ndarray, p_motion: np.ndarray, p_place: np.ndarray, below: float = 0.0
) -> float:
    """Share of the recordings in `rows` whose inferred placement is their own (with a confidence of at least
    `below`: not called unknown)."""
    hits = []
    for name in np.unique(data.recording[rows]):
        mine = rows & (data.recording == name)
        place, confidence = recording_placement(p_motion[mine], p_place[mine])
        hits.append(place == PLACEMENTS[data.placement[mine][0]] and confidence >= below)
    return float(np.mean(hits))


def person_folds(people: np.ndarray, folds: int, seed: int = 0) -> list[np.ndarray]:
    """`folds` groups of people per dataset, shuffled once with `seed`, so every fold holds out some of each."""
    rng = np.random.default_rng(seed)
    groups = [[] for _ in range(folds)]
    for dataset_people in _by_dataset(people):
        shuffled = rng.permutation(dataset_people)
        for i, person in enumerate(shuffled):
            groups[i % folds].append(person)
    return [np.array(g) for g in groups]


def _by_dataset(people: np.ndarray) -> list[np.ndarray]:
    prefixes = {"uci": [], "s": [], "ox": []}
    for p in np.unique(people):
        key = "uci" if p.startswith("uci") else "s" if p[0] == "s" and p[1:].isdigit() else "ox"
        prefixes[key].append(p)
    return [np.array(v) for v in prefixes.values() if v]


def cross_validate(train: Windows, candidate: dict, folds: int) -> tuple[dict, np.ndarray, np.ndarray]:
    """Out-of-fold figures of `candidate` over folds by person, and its out-of-fold motion and placement
    probabilities."""
    p_motion = np.zeros((len(train.X), len(MOTIONS)))
    p_place = np.zeros((len(train.X), len(PLACEMENTS)))
    for held in tqdm(person_folds(train.person, folds), desc="Folds", leave=False):
        out = np.isin(train.person, held)
        models = fit_models(train.take(~out), candidate)
        p_motion[out], p_place[out] = predict_all(models, train.take(out))
    return score(train, p_motion, p_place), p_motion, p_place


def unknown_threshold(data: Windows, p_motion: np.ndarray, p_place: np.ndarray, keep: float = 0.95) -> dict:
    """The placement confidence under which a recording is called "unknown placement": the one that keeps `keep`
    of the correctly placed recordings (out of fold), and the share of wrongly placed ones it flags."""
    confidence, correct = [], []
    for name in np.unique(data.recording):
        rows = data.recording == name
        place, conf = recording_placement(p_motion[rows], p_place[rows])
        if place is not None:
            confidence.append(conf)
            correct.append(place == PLACEMENTS[data.placement[rows][0]])
    confidence, correct = np.array(confidence), np.array(correct)
    threshold = float(np.quantile(confidence[correct], 1 - keep))
    return {
        "threshold": threshold,
        "recordings": int(len(correct)),
        "wrong": int((~correct).sum()),
        "wrong_flagged": int((confidence[~correct] < threshold).sum()),
    }


def target_margins(figures: dict) -> list[float]:
    """Each target figure of the issue minus its target (pocket walking vs seated 97%, pocket placement 95%,
    Oxford walking recall 95% per placement, Oxford placement 80%)."""
    return [
        figures["pocket_walking_vs_seated_accuracy"] - 0.97,
        figures["pocket_placement_rate"] - 0.95,
        figures["oxford_placement_accuracy"] - 0.80,
    ] + [row["walking_recall"] - 0.95 for row in figures["oxford"].values()]


def cv_key(figures: dict) -> tuple[int, float]:
    """What the candidates are chosen by, out of fold: the number of targets met, then the smallest margin."""
    margins = target_margins(figures)
    return sum(m >= 0 for m in margins), min(margins)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", action="store_true", help="cross-validate the candidates by person")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--test", action="store_true", help="score the chosen candidate on the test people")
    parser.add_argument("--candidate", action="append", choices=list(CANDIDATES), help="only these candidates")
    parser.add_argument("--ship", action="store_true", help=f"train the chosen candidate into {SHIPPED}")
    args = parser.parse_args(argv)
    if args.ship:
        ship(SHIPPED)
        return
    windows = build_windows()
    train = windows.take(~windows.test)
    print(f"{len(train.X)} training windows of {len(np.unique(train.person))} people; {len(FEATURE_NAMES)} features")
    results = {}
    if args.cv:
        oof = {}
        for name in args.candidate or CANDIDATES:
            results[name], *oof[name] = cross_validate(train, CANDIDATES[name], args.folds)
            met, worst = cv_key(results[name])
            print(f"{name}: {met} targets met, smallest margin {worst:+.4f}", json.dumps(results[name], indent=1))
    chosen = max(results, key=lambda k: cv_key(results[k])) if results else (args.candidate or list(CANDIDATES))[0]
    print("chosen:", chosen)
    if results:
        print("unknown placement below (out of fold):", json.dumps(unknown_threshold(train, *oof[chosen])))
    if args.test:
        models = fit_models(train, CANDIDATES[chosen])
        test = windows.take(windows.test)
        p_motion, p_place = predict_all(models, test)
        print("test people:", json.dumps(score(test, p_motion, p_place), indent=1))
        print_step_report(test, p_motion)


def print_step_report(test: Windows, p_motion: np.ndarray) -> None:
    """Steps of the Oxford test walks counted in the walking bouts the motion model finds, per position, beside the
    phone's hardware counter; the detector's settings chosen on the training walks (training.har_steps)."""
    from training.har_steps import choose_settings, placement_table, print_table

    walks = oxford_recordings()
    settings, _ = choose_settings([w for w in walks if not w.test])
    walks = [w for w in walks if w.test]
    counts = []
    for walk in walks:
        rows = test.recording == walk.name
        walking = np.isin(p_motion[rows].argmax(axis=1), WALKING_MOTIONS)
        starts_s = np.arange(rows.sum()) * STEP / HAR_FS
        steps_s = acc_steps(walk.acc, HAR_FS, **settings) / HAR_FS
        counts.append(sum(b.steps for b in bout_steps(steps_s, walking_bouts(starts_s, walking, WINDOW / HAR_FS))))
    print(f"step detector {settings}")
    print_table("Oxford test walks, steps in the walking bouts found", placement_table(walks, counts))


def ship(folder: Path) -> Path:
    """Train the `CHOSEN` candidate on every training person, copy its trees into a `HARPlacementModel`, check the
    torch walk against scikit-learn, save the checkpoint, then evaluate the saved ONNX graph into its card."""
    import torch

    from core.checkpoint import save_checkpoint
    from core.har.model import HARPlacementModel
    from core.trees import trees_depth

    windows = build_windows()
    train = windows.take(~windows.test)
    motion, placement, _ = fit_models(train, CANDIDATES[CHOSEN])
    assert list(motion.classes_) == [0, 1, 2, 3] and list(placement.classes_) == list(range(len(PLACEMENTS)))
    sizes = {}
    for head, booster in (("motion", motion), ("placement", placement)):
        nodes = [len(tree.nodes) for iteration in booster._predictors for tree in iteration]
        sizes.update({f"{head}_trees": len(nodes), f"{head}_nodes": max(nodes), f"{head}_depth": trees_depth(booster)})
    model = HARPlacementModel(**sizes)
    model.set_trees(motion, placement)
    rows = placement_inputs(train, True)[:2000].astype(np.float32)
    with torch.inference_mode():
        walked = [torch.softmax(x, dim=1).numpy() for x in model(torch.from_numpy(rows))]
    gap = max(
        np.abs(walked[0] - motion.predict_proba(rows[:, : len(FEATURE_NAMES)])).max(),
        np.abs(walked[1] - placement.predict_proba(rows)).max(),
    )
    print(f"torch trees vs scikit-learn: largest probability difference {gap:.2e}")
    config = {"candidate": CHOSEN, **CANDIDATES[CHOSEN], "training_people": int(len(np.unique(train.person)))}
    save_checkpoint(model, folder, training_config=config)
    from training.har import write_placement_evaluation

    write_placement_evaluation(folder)
    return folder


def evaluate_placement(model, windows: Windows | None = None) -> dict:
    """The issue's figures of the placement checkpoint `model` on the test people: pocket walking vs seated and
    placement rate, Oxford walking recall and placement per placement, UCI test walking runs placed at the waist, and
    steps per placement in the walking bouts the model finds, beside the phone's hardware counter."""
    from core.har.placement import placement_probabilities
    from training.har_steps import placement_table

    windows = windows or build_windows()
    test = windows.take(windows.test)
    p_motion, p_place = placement_probabilities(model, placement_inputs(test, True))
    p_motion = np.hstack([p_motion, np.zeros((len(p_motion), 1))])  # no window is called a transition
    figures = score(test, p_motion, p_place)
    figures.pop("uci_motion_accuracy", None)  # waist recordings are read by the UCI models, scored on their own
    figures.pop("pocket_transition_recall", None)  # transitions are folded into still
    # a UCI run is one activity; only runs of walking (level or stairs) can be placed
    walked = np.unique(test.recording[(test.dataset == "uci_har") & np.isin(test.motion, WALKING_MOTIONS)])
    uci_walks = np.isin(test.recording, walked)
    figures["uci_walking_waist_placement_rate"] = _placement_rate(test, uci_walks, p_motion, p_place)
    # as served: placed right and not called unknown (confidence at least the model's unknown_below)
    below = model.unknown_below
    for name, rows in (
        ("pocket", test.dataset == "sp_sw_har"),
        ("oxford", (test.dataset == "oxford") & (test.motion >= 0)),
        ("uci_walking_waist", uci_walks),
    ):
        figures[f"{name}_placement_rate_confident"] = _placement_rate(test, rows, p_motion, p_place, below)
    walks = [w for w in oxford_recordings() if w.test]
    counts = []
    for walk in walks:
        rows = test.recording == walk.name
        walking = np.isin(p_motion[rows].argmax(axis=1), WALKING_MOTIONS)
        starts_s = np.arange(rows.sum()) * STEP / HAR_FS
        steps_s = acc_steps(walk.acc, HAR_FS) / HAR_FS  # the served detector settings (core.har.steps)
        counts.append(sum(b.steps for b in bout_steps(steps_s, walking_bouts(starts_s, walking, WINDOW / HAR_FS))))
    figures["steps"] = placement_table(walks, counts)
    return figures


if __name__ == "__main__":
    main()
