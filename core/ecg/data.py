"""MIT-BIH Arrhythmia beats for training and evaluation, under the intra- and inter-patient protocols.

Beats are cut at the reference annotations (as for the Kaggle heartbeat CSVs) with the same segmentation and
RR features that serving applies to detected R-peaks.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split
from tqdm.auto import tqdm

import core.tasks
from core.ecg.beats import AAMI_CLASSES, AAMI_MAP, CONTEXT_LENGTH, ecg_cut, rr_features, unknown_context
from core.ecg.pipeline import choose_lead
from core.errors import ConfigError, InputError
from core.readers.wfdb_records import CACHE_DIR, read_wfdb

MITDB_URL = "https://physionet.org/content/mitdb/1.0.0/"
PACED = ("102", "104", "107", "217")
DS1 = (
    "101",
    "106",
    "108",
    "109",
    "112",
    "114",
    "115",
    "116",
    "118",
    "119",
    "122",
    "124",
    "201",
    "203",
    "205",
    "207",
    "208",
    "209",
    "215",
    "220",
    "223",
    "230",
)
DS2 = (
    "100",
    "103",
    "105",
    "111",
    "113",
    "117",
    "121",
    "123",
    "200",
    "202",
    "210",
    "212",
    "213",
    "214",
    "219",
    "221",
    "222",
    "228",
    "231",
    "232",
    "233",
    "234",
)
PROTOCOLS = ("intra", "inter", "kaggle")
KAGGLE_FILES = {"train": "mitbih_train.csv", "test": "mitbih_test.csv"}
INTRA_TEST_FRACTION = 21892 / (87554 + 21892)
"""The Kaggle heartbeat split's proportions (87,554 train / 21,892 test)."""
BEAT_VERSION = 3
"""Bump when segmentation changes, to invalidate cached beat arrays (2: pre-R context added; 3: leads turned upright
by choose_lead)."""


def mitdb_dir(data_dir: str | Path | None = None) -> Path:
    """The MIT-BIH folder (`RECORDS`, `.hea`, `.atr`, `.dat` or `.dat.xz`)."""
    folder = Path(data_dir) if data_dir else core.tasks.data_dir() / "mitdb"
    if not (folder / "RECORDS").is_file():
        raise InputError(
            f"No MIT-BIH records at {folder}; download them with `python -m training.download mitdb --to {folder}` "
            f"({MITDB_URL}) or pass --data-dir."
        )
    return folder


def record_beats(folder: Path, record: str) -> dict[str, np.ndarray]:
    """Beats, pre-R context, RR features, AAMI labels and times of one record, cut at its reference beat annotations."""
    recording = read_wfdb(folder / f"{record}.hea")
    lead, *_ = choose_lead(recording)
    symbols, samples = recording.annotations["symbol"], recording.annotations["sample"]
    is_beat = np.array([s in AAMI_MAP for s in symbols])
    peaks, beat_symbols = samples[is_beat], symbols[is_beat]
    beats, context = ecg_cut(lead, recording.fs, peaks, context_samples=CONTEXT_LENGTH)
    return {
        "beats": beats,
        "context": context,
        "rr": rr_features(peaks, recording.fs),
        "label": np.array([AAMI_CLASSES.index(AAMI_MAP[s]) for s in beat_symbols], dtype=np.int64),
        "record": np.full(len(peaks), int(record), dtype=np.int32),
        "time_s": (peaks / recording.fs).astype(np.float32),
    }


def load_beats(data_dir: str | Path | None = None, *, records: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """All beats of the given records (default: all 48), cached as npz after the first build."""
    folder = mitdb_dir(data_dir)
    records = records or tuple(folder.joinpath("RECORDS").read_text().split())
    key = hashlib.sha1(f"{folder.resolve()}|{','.join(records)}|{BEAT_VERSION}".encode()).hexdigest()[:12]
    cache = CACHE_DIR.parent / f"mitdb_beats_{key}.npz"
    if cache.is_file():
        with np.load(cache) as stored:
            return dict(stored)
    parts = [record_beats(folder, record) for record in tqdm(records, desc="MIT-BIH records")]
    dataset = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **dataset)
    return dataset


def load_kaggle_beats(folder: str | Path) -> dict[str, np.ndarray]:
    """The Kaggle "ECG Heartbeat Categorization" CSVs (`mitbih_train.csv`, `mitbih_test.csv`) as a beat dataset.

    Their beats carry no RR intervals or context, so those are 'unknown'; `split` marks the official train/test rows.
    """
    from core.ecg.beats import unknown_rr
    from core.readers.beat_rows import read_beat_rows

    parts = []
    for split, name in KAGGLE_FILES.items():
        path = Path(folder) / name
        if not path.is_file():
            raise InputError(
                f"No {name} in {folder}; download the Kaggle heartbeat CSVs there or use --protocol intra."
            )
        rows = read_beat_rows(path)
        if rows.labels is None:
            raise InputError(f"{name} has 187 columns but no label column; the Kaggle files have 188.")
        parts.append(
            {
                "beats": rows.beats,
                "rr": unknown_rr(len(rows.beats)),
                "context": unknown_context(len(rows.beats)),
                "label": rows.labels.astype(np.int64),
                "record": np.full(len(rows.beats), -1, dtype=np.int32),
                "split": np.full(len(rows.beats), split == "test"),
            }
        )
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def protocol_split(dataset: dict[str, np.ndarray], protocol: str, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices: "intra" = stratified random 80/20 over all beats of all records;
    "inter" = de Chazal DS1 train / DS2 test, paced records excluded; "kaggle" = the Kaggle CSVs' own split."""
    if protocol == "kaggle":
        return np.flatnonzero(~dataset["split"]), np.flatnonzero(dataset["split"])
    if protocol == "intra":
        index = np.arange(len(dataset["label"]))
        train, test = train_test_split(
            index, test_size=INTRA_TEST_FRACTION, stratify=dataset["label"], random_state=seed
        )
        return np.sort(train), np.sort(test)
    if protocol == "inter":
        records = dataset["record"]
        return (
            np.flatnonzero(np.isin(records, [int(r) for r in DS1])),
            np.flatnonzero(np.isin(records, [int(r) for r in DS2])),
        )
    raise ConfigError(f"Unknown protocol {protocol!r}; accepted protocols are {list(PROTOCOLS)}.")


# The dataset outside training: the Hub dataset repo and the explorer's sample (the registry's dataset_repo and
# explore).
from core.datasets import DatasetRepo, ExploreSample, HubColumns, take_rows, to_dataset  # noqa: E402


def dataset_repo(*, limit: int | None = None) -> DatasetRepo:
    """The Hub dataset repo: MIT-BIH beats (187 samples at 125 Hz), RR features, AAMI label, record id and time, under
    both raw-record protocols; `limit` keeps the first `limit` rows of every split."""
    from datasets import ClassLabel, Features, Sequence, Value

    beats = load_beats()
    features = Features(
        {
            "beat": Sequence(Value("float32"), length=beats["beats"].shape[1]),
            "rr": Sequence(Value("float32"), length=beats["rr"].shape[1]),
            "label": ClassLabel(names=list(AAMI_CLASSES)),
            "record": Value("int32"),
            "time_s": Value("float32"),
        }
    )
    columns = {
        "beat": beats["beats"],
        "rr": beats["rr"],
        "label": beats["label"],
        "record": beats["record"],
        "time_s": beats["time_s"],
    }
    configs = {}
    for protocol in ("intra", "inter"):  # the raw-record protocols; the Kaggle CSVs are not redistributed here
        train, test = protocol_split(beats, protocol)
        configs[protocol] = {
            split: to_dataset(take_rows(columns, index, limit), features)
            for split, index in (("train", train), ("test", test))
        }
    return DatasetRepo(
        configs,
        license="odc-by",
        citation="Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng Med Biol 20(3):45-50 "
        "(2001). Goldberger AL et al. PhysioBank, PhysioToolkit, and PhysioNet. Circulation 101(23):e215-e220 (2000).",
        description="Every annotated beat of the 48 MIT-BIH Arrhythmia records, cut around the reference R peak and "
        "resampled to 187 samples at 125 Hz, with five RR-interval features and the AAMI EC57 class. Config `intra`: "
        "stratified random 80/20 split of all beats (beats of one patient fall in both parts); config `inter`: de "
        "Chazal DS1 train / DS2 test by record, paced records excluded.",
        source="https://physionet.org/content/mitdb/1.0.0/ (DOI 10.13026/C2F305)",
    )


def explore_sample() -> ExploreSample:
    """The explorer's examples: every MIT-BIH beat (125 Hz), labelled with its AAMI class and grouped by record."""
    import pandas as pd

    beats = load_beats()
    labels = np.array(AAMI_CLASSES)[beats["label"]]
    return ExploreSample(
        pd.DataFrame({"label": labels, "group": beats["record"]}),
        lambda i: beats["beats"][i][:, None],
        125.0,
        "record",
        ("ECG",),
        "MIT-BIH Arrhythmia Database (local)",
    )


EXPLORE_HUB_COLUMNS = HubColumns(signal="beat", group="record", fs=125.0)
"""Where `explore_sample`'s examples are in the dataset repo, for the explorer without the raw data."""
