"""Dataset repos as parquet, built from the raw shared data (PHYSIOSPACES_DATA) with each task's own loaders and splits.

Each builder returns a `DatasetRepo`: configs -> split -> `datasets.Dataset` (typed features), plus licence and
citation for the card. `limit` keeps the first `limit` rows of every split (of every series for NAB), for tests and quick looks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import numpy as np
from datasets import Array2D, ClassLabel, Dataset, Features, Sequence, Value

from core.errors import ConfigError


@dataclass(frozen=True)
class DatasetRepo:
    """What a dataset repo holds: configs (the first is the default) of named splits, and the card facts."""

    configs: dict[str, dict[str, Dataset]]
    license: str
    citation: str
    description: str
    source: str
    extra_license: dict = field(default_factory=dict)


def _take(columns: dict, index: np.ndarray, limit: int | None) -> dict:
    index = index[:limit] if limit else index
    return {name: values[index] for name, values in columns.items()}


def _dataset(columns: dict, features: Features) -> Dataset:
    return Dataset.from_dict({name: (values.tolist() if isinstance(values, np.ndarray) else values) for name, values in columns.items()},
                             features=features)


def ecg_beats(*, limit: int | None = None) -> DatasetRepo:
    """MIT-BIH beats (187 samples at 125 Hz), RR features, AAMI label, record id and time, under both protocols."""
    from core.ecg.beats import AAMI_CLASSES
    from core.ecg.data import load_beats, protocol_split

    beats = load_beats()
    features = Features({
        "beat": Sequence(Value("float32"), length=beats["beats"].shape[1]),
        "rr": Sequence(Value("float32"), length=beats["rr"].shape[1]),
        "label": ClassLabel(names=list(AAMI_CLASSES)),
        "record": Value("int32"),
        "time_s": Value("float32"),
    })
    columns = {"beat": beats["beats"], "rr": beats["rr"], "label": beats["label"], "record": beats["record"], "time_s": beats["time_s"]}
    configs = {}
    for protocol in ("intra", "inter"):  # the raw-record protocols; the Kaggle CSVs are not redistributed here
        train, test = protocol_split(beats, protocol)
        configs[protocol] = {split: _dataset(_take(columns, index, limit), features) for split, index in (("train", train), ("test", test))}
    return DatasetRepo(
        configs,
        license="odc-by",
        citation="Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng Med Biol 20(3):45-50 (2001). "
        "Goldberger AL et al. PhysioBank, PhysioToolkit, and PhysioNet. Circulation 101(23):e215-e220 (2000).",
        description="Every annotated beat of the 48 MIT-BIH Arrhythmia records, cut around the reference R peak and "
        "resampled to 187 samples at 125 Hz, with five RR-interval features and the AAMI EC57 class. Config `intra`: "
        "stratified random 80/20 split of all beats (beats of one patient fall in both parts); config `inter`: de Chazal "
        "DS1 train / DS2 test by record, paced records excluded.",
        source="https://physionet.org/content/mitdb/1.0.0/ (DOI 10.13026/C2F305)",
    )


def har_windows(*, limit: int | None = None) -> DatasetRepo:
    """UCI HAR inertial windows (128 x 9 at 50 Hz) with activity and subject, official train/test split."""
    from core.har.data import ACTIVITIES, CHANNELS, load_split

    features = Features({
        "signal": Array2D(shape=(128, len(CHANNELS)), dtype="float32"),
        "label": ClassLabel(names=list(ACTIVITIES)),
        "subject": Value("int32"),
    })
    splits = {}
    for split in ("train", "test"):
        data = load_split(split)
        splits[split] = _dataset(_take({"signal": data["X"], "label": data["y"], "subject": data["subject"].astype(np.int32)},
                                       np.arange(len(data["y"])), limit), features)
    return DatasetRepo(
        {"default": splits},
        license="cc-by-4.0",
        citation="Anguita D, Ghio A, Oneto L, Parra X, Reyes-Ortiz JL. A Public Domain Dataset for Human Activity Recognition "
        "Using Smartphones. ESANN 2013.",
        description="The raw inertial windows of UCI HAR (2.56 s, 50% overlap, 50 Hz; channels "
        f"{', '.join(CHANNELS)}), the activity and the subject id; the official subject-wise split (30 subjects: 21 train, 9 test).",
        source="https://doi.org/10.24432/C54S4K",
    )


def running_workouts(*, limit: int | None = None) -> DatasetRepo:
    """Real running workouts (time, speed, altitude, heart rate per sample) split by runner (the `user` protocol)."""
    import pandas as pd

    from core.hr.data import load_workouts, protocol_split, workouts_path

    frame = pd.read_parquet(workouts_path())
    workouts = load_workouts()
    if [w.workout_id for w in workouts] != frame["workout_id"].tolist():
        raise ConfigError("The workouts parquet changed while it was read; run the build again.")
    features = Features({
        "workout_id": Value("int32"), "user": Value("int32"), "gender": Value("string"), "source": Value("string"),
        "license": Value("string"), "file_format": Value("string"), "start_time": Value("timestamp[ms, tz=UTC]"),
        "time_s": Sequence(Value("float64")), "speed_kmh": Sequence(Value("float64")),
        "altitude_m": Sequence(Value("float64")), "heart_rate": Sequence(Value("float64")),
    })

    def rows(index: list[int]) -> Dataset:
        part = frame.iloc[index[:limit] if limit else index]
        return Dataset.from_dict({
            "workout_id": part["workout_id"].tolist(), "user": part["userId"].tolist(), "gender": part["gender"].tolist(),
            "source": part["source"].tolist(), "license": part["license"].tolist(), "file_format": part["file_format"].tolist(),
            "start_time": part["start_time"].tolist(),
            "time_s": [list(map(float, v)) for v in part["timestamp"]], "speed_kmh": [list(map(float, v)) for v in part["speed"]],
            "altitude_m": [list(map(float, v)) for v in part["altitude"]], "heart_rate": [list(map(float, v)) for v in part["heart_rate"]],
        }, features=features)

    train, val, test = protocol_split(workouts, "user")
    licenses = sorted(frame["license"].unique())
    return DatasetRepo(
        {"default": {"train": rows(train), "validation": rows(val), "test": rows(test)}},
        license="other",
        extra_license={"license_name": "mixed-per-row", "license_details": "Each row keeps the licence of the project that "
                       f"distributed its file (column `license`: {', '.join(licenses)}); filter on it before redistribution."},
        citation="Ni J, Muhlstein L, McAuley J. Modeling heart rate and activity data for personalized fitness recommendation. "
        "WWW 2019 (the protocol). Rows come from the example and test files of open-source workout tools (column `source`).",
        description="Real running workouts from open-source projects' example files: per-sample time (s from start), speed "
        "(km/h), altitude (m) and recorded heart rate (bpm). Split by runner: test and validation runners never appear in train.",
        source="see the `source` column (open-source sports software test and example data)",
    )


def respiration_apnea_nab(*, limit: int | None = None) -> DatasetRepo:
    """Apnea-ECG minutes (RR intervals and apnea label, split by record) and the five NAB known-cause series."""
    import pandas as pd

    from core.respiration.data import APNEA_TEST_RECORDS, APNEA_VAL_RECORDS, apnea_ecg, nab_known_cause

    beats, labels = apnea_ecg()
    beats = beats.dropna(subset=["rr_s"])
    beats["minute"] = (beats["beat_time_s"] // 60).astype(int)
    grouped = {key: part for key, part in beats.groupby(["record", "minute"])}
    minute_features = Features({
        "record": Value("string"), "minute": Value("int32"), "start_s": Value("float32"),
        "label": ClassLabel(names=["normal", "apnea"]),
        "beat_time_s": Sequence(Value("float32")), "rr_s": Sequence(Value("float32")),
    })

    def minutes(records) -> Dataset:
        part = labels[labels["record"].isin(records)]
        part = part.iloc[:limit] if limit else part
        empty = pd.DataFrame({"beat_time_s": [], "rr_s": []})
        groups = [grouped.get((r, m), empty) for r, m in zip(part["record"], part["minute"])]
        return Dataset.from_dict({
            "record": part["record"].tolist(), "minute": part["minute"].tolist(), "start_s": part["start_s"].tolist(),
            "label": part["label"].tolist(),
            "beat_time_s": [g["beat_time_s"].tolist() for g in groups], "rr_s": [g["rr_s"].tolist() for g in groups],
        }, features=minute_features)

    records = sorted(labels["record"].unique())
    held_out = set(APNEA_TEST_RECORDS) | set(APNEA_VAL_RECORDS)
    nab_features = Features({"series": Value("string"), "timestamp": Value("timestamp[s]"), "value": Value("float64"),
                             "anomaly_window": Value("bool")})

    def nab(part: str) -> Dataset:
        columns = {name: [] for name in nab_features}
        for series in nab_known_cause():
            cut = slice(0, series.train_end) if part == "train" else slice(series.train_end, None)
            index = np.arange(len(series.values))[cut][:limit] if limit else np.arange(len(series.values))[cut]
            columns["series"] += [series.name] * len(index)
            columns["timestamp"] += series.timestamps[index].to_pydatetime().tolist()
            columns["value"] += series.values[index].tolist()
            columns["anomaly_window"] += series.labels[index].tolist()
        return Dataset.from_dict(columns, features=nab_features)

    return DatasetRepo(
        {
            "apnea_minutes": {
                "train": minutes([r for r in records if r not in held_out]),
                "validation": minutes(list(APNEA_VAL_RECORDS)),
                "test": minutes(list(APNEA_TEST_RECORDS)),
            },
            "nab": {"train": nab("train"), "test": nab("test")},
        },
        license="other",
        extra_license={"license_name": "odc-by-and-mit", "license_details": "Config `apnea_minutes`: Apnea-ECG Database, "
                       "ODC-By 1.0 (PhysioNet). Config `nab`: Numenta Anomaly Benchmark data, MIT License (Numenta Inc.)."},
        citation="Penzel T, Moody GB, Mark RG, Goldberger AL, Peter JH. The Apnea-ECG Database. Computers in Cardiology "
        "27:255-258 (2000). Lavin A, Ahmad S. Evaluating Real-time Anomaly Detection Algorithms - the Numenta Anomaly "
        "Benchmark. IEEE ICMLA 2015. Lin S et al. Anomaly Detection for Time Series Using VAE-LSTM Hybrid Model. ICASSP 2020.",
        description="Config `apnea_minutes`: one row per expert-labelled minute of the 35 Apnea-ECG learning records, with the "
        "beat times and RR intervals (s) inside it; split by record (8 test, 5 validation, 22 train). Config `nab`: the five "
        "known-cause NAB series of Lin et al. point by point with the labelled anomaly windows; `train` is each series' "
        "anomaly-free beginning (before the first window), `test` the rest.",
        source="https://physionet.org/content/apnea-ecg/1.0.0/ and https://github.com/numenta/NAB",
    )


BUILDERS = {"ecg": ecg_beats, "har": har_windows, "hr": running_workouts, "respiration": respiration_apnea_nab}
"""Task name -> parquet builder."""
