"""Download a training dataset and prepare it as training reads it: `python -m training.download DATASET [--to DIR]`.

Every file is fetched from its original source, resumably (an interrupted file continues with an HTTP Range request
and finished files are kept), and checked against the source's published SHA-256 list (PhysioNet) or, where the
source publishes none, against the checksums of the shared data README. Then the project's preparation step runs.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import re
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from core.errors import DownloadError, PhysioError
from core.tasks import data_dir

PHYSIONET = "https://physionet.org/files"
UCI_HAR_ZIP = "https://archive.ics.uci.edu/static/public/240/human+activity+recognition+using+smartphones.zip"
NAB = "https://raw.githubusercontent.com/numenta/NAB/master"
CHECKSUMS = Path(__file__).parent / "checksums"

UCI_HAR_DOCS = {
    "activity_labels.txt": "f6e6b292704438261f0283b2a82659ab0661447dc16520938bdf379ed1bf8de0",
    "features.txt": "b384889885b1c8680ecf250e0e605b4c79536cdf09ce9f2fa7225a3c6773b5c7",
    "features_info.txt": "5d7e7d1f204dcfba846043029ef7a15a07c2b3711ee0a122da031f5971b3b585",
    "README.txt": "d60dd574dde219a8ac8dfdf8caf833b89bd65f53d892f48cbaf1ea2d6d054807",
}
"""SHA-256 of the UCI HAR documentation files (the shared data README); UCI publishes no checksums, so these and the
window counts vouch for the archive."""
UCI_HAR_CHANNELS = tuple(f"{kind}_{axis}" for kind in ("body_acc", "body_gyro", "total_acc") for axis in "xyz")
UCI_HAR_WINDOWS = {"train": 7352, "test": 2947}
BIDMC_RECORDS = tuple(range(1, 41))
"""The BIDMC records training uses (01-40; the others are kept aside, as in the shared data)."""
APNEA_RECORD = re.compile(r"[abcx]\d\d")
"""The 70 main Apnea-ECG records (not the a01r/a01er respiration variants)."""
APNEA_FS = 100.0


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, target: Path, *, sha: str | None = None) -> Path:
    """Download `url` to `target`, continuing a `.part` file left by an interrupted run (HTTP Range), and check
    its SHA-256 against `sha`; a target already there with that checksum is kept."""
    if target.is_file() and (sha is None or sha256(target) == sha):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    start = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            if start and response.status != 206:  # the server ignored the range: start over
                start = 0
            total = start + int(response.headers.get("Content-Length", 0)) or None
            with (
                open(part, "ab" if start else "wb") as out,
                tqdm(total=total, initial=start, unit="B", unit_scale=True, desc=target.name, leave=False) as bar,
            ):
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as exc:
        if exc.code != 416:  # 416: the part file is already whole
            raise DownloadError(f"{url} answered HTTP {exc.code} ({exc.reason}); check the address or try later.")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise DownloadError(
            f"Could not download {url} ({getattr(exc, 'reason', exc)}); run the command again when the source is "
            "reachable: finished files are kept and this one resumes."
        ) from None
    if sha is not None and (got := sha256(part)) != sha:
        part.unlink()
        raise DownloadError(
            f"{target.name} from {url} has SHA-256 {got}, not the published {sha}; run the command again to download "
            "it anew."
        )
    part.replace(target)
    return target


def read_sums(path: Path) -> dict[str, str]:
    """A SHA256SUMS list: relative path -> checksum."""
    return {name.strip(): sha for sha, name in (line.split(maxsplit=1) for line in path.read_text().splitlines())}


def physionet(database: str, version: str, files: list[str], target: Path, *, sums: dict | None = None) -> dict:
    """Fetch `files` of a PhysioNet database into `target`, each checked against the database's SHA256SUMS.txt
    (fetched first, unless given as `sums`); returns that list."""
    base = f"{PHYSIONET}/{database}/{version}"
    if sums is None:
        sums = read_sums(fetch(f"{base}/SHA256SUMS.txt", target / "SHA256SUMS_original.txt"))
    for name in tqdm(files, desc=f"{database} files"):
        if name not in sums:
            raise DownloadError(f"{name} is not in {database}'s published SHA256SUMS.txt; the file list is stale.")
        fetch(f"{base}/{name}", target / Path(name).name, sha=sums[name])
    return sums


def download_mitdb(target: Path) -> Path:
    """MIT-BIH Arrhythmia Database 1.0.0: RECORDS, ANNOTATORS and every record's .hea/.atr/.dat (read as is)."""
    sums = physionet("mitdb", "1.0.0", ["RECORDS", "ANNOTATORS"], target)
    records = (target / "RECORDS").read_text().split()
    physionet("mitdb", "1.0.0", [f"{r}.{ext}" for r in records for ext in ("hea", "atr", "dat")], target, sums=sums)
    return target


def download_apnea_ecg(target: Path) -> Path:
    """Apnea-ECG 1.0.0 headers, QRS and apnea annotations of the 70 main records (no ECG signals), then the
    RR-interval and minute-label tables training reads."""
    wfdb_dir = target / "wfdb"
    sums = physionet("apnea-ecg", "1.0.0", ["RECORDS", "ANNOTATORS", "list", "additional-information.txt"], wfdb_dir)
    records = [r for r in (wfdb_dir / "RECORDS").read_text().split() if APNEA_RECORD.fullmatch(r)]
    files = [f"{r}.{ext}" for r in records for ext in ("hea", "qrs")] + [f"{r}.apn" for r in records if r[0] != "x"]
    physionet("apnea-ecg", "1.0.0", files, wfdb_dir, sums=sums)
    prepare_apnea_ecg(wfdb_dir, records, target)
    return target


def prepare_apnea_ecg(wfdb_dir: Path, records: list[str], target: Path) -> None:
    """rr_intervals.csv.gz (record, beat_time_s, rr_s) and apnea_minute_labels.csv (record, minute, start_s, label)."""
    import pandas as pd
    import wfdb

    beats, minutes = [], []
    for record in tqdm(records, desc="Apnea-ECG tables"):
        qrs = wfdb.rdann(str(wfdb_dir / record), "qrs")
        times = np.round(qrs.sample / APNEA_FS, 2)
        rr = np.round(np.diff(times, prepend=np.nan), 2)
        beats.append(pd.DataFrame({"record": record, "beat_time_s": times, "rr_s": rr}))
        if (wfdb_dir / f"{record}.apn").is_file():
            apn = wfdb.rdann(str(wfdb_dir / record), "apn")
            minutes.append(
                pd.DataFrame(
                    {
                        "record": record,
                        "minute": np.arange(len(apn.sample)),
                        "start_s": apn.sample / APNEA_FS,
                        "label": apn.symbol,
                    }
                )
            )
    pd.concat(beats).to_csv(target / "rr_intervals.csv.gz", index=False)
    pd.concat(minutes).to_csv(target / "apnea_minute_labels.csv", index=False)


def download_bidmc(target: Path) -> Path:
    """BIDMC PPG and Respiration 1.0.0, CSV release of records 01-40; the signal tables gzipped as training reads."""
    names = [f"bidmc_csv/bidmc_{n:02d}_{part}" for n in BIDMC_RECORDS for part in ("Breaths.csv", "Numerics.csv")]
    names += [f"bidmc_csv/bidmc_{n:02d}_Fix.txt" for n in BIDMC_RECORDS]
    sums = physionet("bidmc", "1.0.0", names, target)
    for n in tqdm(BIDMC_RECORDS, desc="BIDMC signals"):
        packed = target / f"bidmc_{n:02d}_Signals.csv.gz"
        if packed.is_file():
            continue
        plain = target / f"bidmc_{n:02d}_Signals.csv"
        physionet("bidmc", "1.0.0", [f"bidmc_csv/{plain.name}"], target, sums=sums)
        with open(plain, "rb") as source, gzip.GzipFile(packed.with_suffix(".gz.part"), "wb", mtime=0) as out:
            shutil.copyfileobj(source, out)
        packed.with_suffix(".gz.part").replace(packed)
        plain.unlink()
    return target


def download_respiration(target: Path) -> Path:
    """The respiration task's two sources: Apnea-ECG and BIDMC."""
    download_apnea_ecg(target / "apnea_ecg")
    download_bidmc(target / "bidmc")
    return target


def download_nab(target: Path) -> Path:
    """The Numenta Anomaly Benchmark's 58 series and combined labels, checked against the shared data's list."""
    sums = read_sums(CHECKSUMS / "nab.sha256")
    for name, sha in tqdm(sums.items(), desc="NAB files"):
        fetch(f"{NAB}/{name}", target / name, sha=sha)
    return target


def download_uci_har(target: Path) -> Path:
    """The UCI HAR archive, then har_train.npz / har_test.npz: X (n, 128, 9) float32 inertial windows in the order of
    UCI_HAR_CHANNELS, y 1-6, subject (rows in the archive's order)."""
    archive = fetch(UCI_HAR_ZIP, target / "uci_har.zip")
    with zipfile.ZipFile(archive) as outer:
        inner = [name for name in outer.namelist() if name.endswith(".zip")]
        source = zipfile.ZipFile(io.BytesIO(outer.read(inner[0]))) if inner else outer
        root = "UCI HAR Dataset/"
        for name, sha in UCI_HAR_DOCS.items():
            data = source.read(root + name)
            if (got := hashlib.sha256(data).hexdigest()) != sha:
                raise DownloadError(f"UCI HAR {name} has SHA-256 {got}, not the recorded {sha}; the archive changed.")
            (target / name).write_bytes(data)
        for split, count in UCI_HAR_WINDOWS.items():

            def table(path: str) -> np.ndarray:
                return np.loadtxt(io.BytesIO(source.read(f"{root}{split}/{path}")), ndmin=1)

            x = np.stack([table(f"Inertial Signals/{c}_{split}.txt") for c in UCI_HAR_CHANNELS], axis=-1)
            y, subject = table(f"y_{split}.txt").astype(np.int64), table(f"subject_{split}.txt").astype(np.int64)
            if not len(x) == len(y) == len(subject) == count:
                raise DownloadError(
                    f"UCI HAR {split} holds {len(x)} windows, {len(y)} labels and {len(subject)} subjects, not "
                    f"{count}; the archive changed."
                )
            np.savez_compressed(
                target / f"har_{split}.npz",
                X=x.astype(np.float32),
                y=y,
                subject=subject,
                channels=np.array(UCI_HAR_CHANNELS),
            )
    archive.unlink()
    return target


DOWNLOADERS = {
    "mitdb": download_mitdb,
    "uci_har": download_uci_har,
    "nab": download_nab,
    "respiration": download_respiration,
    "apnea_ecg": download_apnea_ecg,
    "bidmc": download_bidmc,
}
"""Dataset -> function that downloads and prepares it into a target folder."""
TARGETS = {"apnea_ecg": "respiration/apnea_ecg", "bidmc": "respiration/bidmc"}
"""Default folders under `data_dir()` that differ from the dataset's name."""
NOT_DOWNLOADABLE = {
    "kaggle_beats": "The Kaggle heartbeat CSVs need a Kaggle login, so download mitbih_train.csv and mitbih_test.csv "
    "from kaggle.com/datasets/shayanfazeli/heartbeat by hand.",
    "running_hr": "The Endomondo/FitRec data may not be redistributed and its stand-in running_workouts.parquet is "
    "assembled by hand from test files of 13 open-source projects, so copy the running_hr folder of the shared data.",
}
"""Datasets training uses that this command cannot fetch, each with the reason and what to do instead."""


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m training.download", description=__doc__.splitlines()[0])
    parser.add_argument("dataset", metavar="DATASET", help=f"one of {', '.join(DOWNLOADERS)}")
    parser.add_argument("--to", type=Path, default=None, help="target folder (default: DATA_DIR/DATASET)")
    args = parser.parse_args(argv)
    if args.dataset in NOT_DOWNLOADABLE:
        parser.exit(2, f"{args.dataset!r} cannot be downloaded by this command: {NOT_DOWNLOADABLE[args.dataset]}\n")
    if args.dataset not in DOWNLOADERS:
        parser.exit(
            2,
            f"Unknown dataset {args.dataset!r}; the datasets this command downloads are "
            f"{sorted(DOWNLOADERS)} (not downloadable here: {sorted(NOT_DOWNLOADABLE)}).\n",
        )
    target = args.to or data_dir() / TARGETS.get(args.dataset, args.dataset)
    target.mkdir(parents=True, exist_ok=True)
    try:
        folder = DOWNLOADERS[args.dataset](target)
    except PhysioError as exc:
        parser.exit(1, f"error: {exc}\n")
    print(f"{args.dataset} is in {folder}")
    return folder


if __name__ == "__main__":
    main()
