"""Property-based tests: arbitrary bytes in every reader, arbitrary arrays in every task's `predict`, arbitrary
arguments in the CLI. The outcome is a value or a `PhysioError`, never another exception."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core import get_task, list_tasks, load_model
from core.__main__ import main as cli_main
from core.errors import PhysioError
from core.readers import Recording
from core.readers.inertial import read_inertial_csv, read_uci_inertial
from core.readers.series import BeatSeries, ValueSeries
from core.readers.workouts import WORKOUT_CHANNELS, read_workout
from tests.fixtures.make_hostile import FIT_EPOCH, FIT_RECORD_FIELDS, fit_activity, fit_bytes, fit_definition

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TASKS = list_tasks()
SUFFIXES = (".csv", ".hea", ".gpx", ".tcx", ".fit", ".json", ".zip", ".txt")

# text that looks like the formats, so examples get past the first parser line instead of all failing as binary
TOKENS = st.sampled_from(
    [
        "0",
        "1.5",
        "-3e2",
        "nan",
        "inf",
        "-inf",
        "",
        ",",
        ";",
        "\t",
        "\n",
        "# fs=360\n",
        "fs",
        "time",
        "MLII",
        "acc_x,acc_y,acc_z",
        "timestamp,value",
        "rr_ms",
        "beat_time_s",
        '<trkpt lat="1" lon="2">',
        "<time>2020-01-01T00:00:00Z</time>",
        "</trkpt>",
        "<gpx>",
        "<Trackpoint><Time>",
        "</Time>",
        '{"timestamp": [',
        "]}",
        "100 1 360 3600\n",
        "100.dat 16 200 11 1024 0 0 0 MLII\n",
        "\u00e9\U0001f493",
    ]
)
CONTENT = st.one_of(st.binary(max_size=2048), st.lists(TOKENS, max_size=200).map(lambda parts: "".join(parts).encode()))


@pytest.fixture(scope="module")
def models():
    """Every task's served models by variant, as a Space holds them: `Task.run(data, models[task].__getitem__)`."""
    return {
        task: {variant: load_model(task, variant=variant, backend="onnx") for variant in get_task(task).checkpoints}
        for task in TASKS
    }


def outcome(fn, *args, **kwargs) -> str:
    """'value' or 'PhysioError'; any other exception propagates and fails the property."""
    try:
        fn(*args, **kwargs)
    except PhysioError as exc:
        event(type(exc).__name__)  # --hypothesis-show-statistics shows how far examples get
        return "PhysioError"
    event("value")
    return "value"


def written(content: bytes, suffix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="physiospaces-fuzz-"))
    path = folder / f"upload{suffix}"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("task", TASKS)
@FUZZ
@given(
    content=CONTENT,
    suffix=st.sampled_from(SUFFIXES),
    fs=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
)
def test_task_read_takes_any_bytes(task, content, suffix, fs):
    assert outcome(get_task(task).read, written(content, suffix), fs=fs) in ("value", "PhysioError")


@FUZZ
@given(content=CONTENT, suffix=st.sampled_from((".gpx", ".tcx", ".fit", ".json", ".jsonl")))
def test_workout_reader_takes_any_bytes(content, suffix):
    assert outcome(read_workout, written(content, suffix)) in ("value", "PhysioError")


@FUZZ
@given(content=CONTENT)
def test_inertial_readers_take_any_bytes(content):
    assert outcome(read_inertial_csv, written(content, ".csv")) in ("value", "PhysioError")
    assert outcome(read_uci_inertial, written(content, ".zip")) in ("value", "PhysioError")


def test_cli_refuses_binary_noise_with_one_line(tmp_path, capsys):
    path = tmp_path / "noise.csv"
    path.write_bytes(bytes(range(256)) * 4)
    assert cli_main(["predict", "ecg", str(path)]) == 2
    assert capsys.readouterr().err == "error: File 'noise.csv' is not text; upload a CSV file.\n"


@settings(max_examples=15, deadline=None)
@given(content=CONTENT, task=st.sampled_from(TASKS), suffix=st.sampled_from(SUFFIXES))
def test_cli_exits_0_or_2(content, task, suffix):
    assert cli_main(["predict", task, str(written(content, suffix))]) in (0, 2)


FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=32)
ARRAYS = st.lists(FLOATS, min_size=0, max_size=3000).map(np.array) | st.builds(
    lambda n, scale, freq: scale * np.sin(np.arange(n) * freq),
    st.integers(0, 20000),
    st.floats(1e-6, 1e6),
    st.floats(0.001, 1.0),
)
RATES = st.one_of(
    st.sampled_from([50.0, 125.0, 360.0]),
    st.floats(20.0, 2000.0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -1.0, 1.0, 1e9]),
)


def recording(values: np.ndarray, fs: float, channels: tuple[str, ...]) -> Recording:
    return Recording(signal=np.repeat(values.reshape(-1, 1), len(channels), axis=1), fs=fs, channels=channels)


@FUZZ
@given(values=ARRAYS, fs=RATES)
def test_ecg_predict_takes_any_array(models, values, fs):
    assert outcome(get_task("ecg").run, recording(values, fs, ("MLII",)), models["ecg"].__getitem__) in (
        "value",
        "PhysioError",
    )


@FUZZ
@given(values=ARRAYS, fs=RATES)
def test_har_predict_takes_any_array(models, values, fs):
    data = recording(
        1.0 + 0.3 * np.tanh(values), fs, ("acc_x", "acc_y", "acc_z")
    )  # near 1 g, so examples pass the unit check
    assert outcome(get_task("har").run, data, models["har"].__getitem__) in ("value", "PhysioError")


@FUZZ
@given(values=ARRAYS, step=st.floats(0.01, 60.0))
def test_hr_predict_takes_any_array(models, values, step):
    data = Recording(
        signal=np.column_stack([values] * len(WORKOUT_CHANNELS)) if len(values) else np.zeros((0, 5)),
        fs=1 / step,
        channels=WORKOUT_CHANNELS,
        time=np.arange(len(values)) * step,
    )
    assert outcome(get_task("hr").run, data, models["hr"].__getitem__) in ("value", "PhysioError")


@FUZZ
@given(values=ARRAYS, fs=RATES, mode=st.sampled_from(["waveform", "rr", "series"]))
def test_respiration_predict_takes_any_array(models, values, fs, mode):
    task = get_task("respiration")
    if mode == "waveform":
        data = recording(values, fs, ("RESP",))
    elif mode == "rr":
        data = BeatSeries(beat_times=np.cumsum(np.abs(values)), rr=values)
    else:
        data = ValueSeries(values=values, timestamps=np.arange(len(values), dtype=float))
    assert outcome(task.run, data, models["respiration"].__getitem__, mode=mode) in ("value", "PhysioError")


# Structure-aware fuzzing: valid files of each format, then fields and counts mutated, so the examples reach the
# parsers' later stages (header checks, size bounds, sample decoding) instead of failing at the first byte.
STRUCTURED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def one_sentence(exc: PhysioError) -> None:
    message = str(exc).strip()
    assert message and "\n" not in message and "Traceback" not in message, message
    assert message.endswith((".", ".']", "']")), message


def structured_outcome(fn, *args, **kwargs) -> str:
    """Like `outcome`, and a refusal must be one sentence."""
    try:
        fn(*args, **kwargs)
    except PhysioError as exc:
        one_sentence(exc)
        event(type(exc).__name__)
        return "PhysioError"
    event("value")
    return "value"


@st.composite
def wfdb_records(draw):
    """A WFDB header + format-16 data file; signal count, rate, sample count, format, gain and names mutated."""
    signals = draw(st.integers(1, 3))
    samples = draw(st.integers(0, 3000))
    fs = draw(st.sampled_from(["360", "125", "0", "-5", "1e9", "360/2", "abc"]))
    declared = draw(st.one_of(st.just(str(samples)), st.sampled_from(["0", "10", "100000000000", "-1", "x"])))
    declared_signals = draw(st.one_of(st.just(signals), st.integers(0, 5000)))
    fmt = draw(st.sampled_from(["16", "16", "212", "80", "999"]))
    gain = draw(st.sampled_from(["200", "0", "-1", "nan", "1e308"]))
    names = draw(st.lists(st.sampled_from(["MLII", "V5", "RESP", "II", ""]), min_size=signals, max_size=signals))
    file_name = draw(st.sampled_from(["rec.dat", "rec.dat", "0/rec.dat", "../rec.dat", "other.dat"]))
    header = f"rec {declared_signals} {fs} {declared}\n" + "".join(
        f"{file_name} {fmt} {gain} 11 1024 0 0 0 {name}\n" for name in names
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    data = (rng.normal(0, 200, (samples, signals))).astype("<i2").tobytes()
    cut = draw(st.one_of(st.none(), st.integers(0, max(len(data), 1))))
    return header.encode(), data if cut is None else data[:cut]


@pytest.mark.parametrize("task", [name for name in TASKS if any(p.suffix == ".hea" for p in get_task(name).examples)])
@STRUCTURED
@given(record=wfdb_records())
def test_wfdb_readers_take_mutated_records(task, record):
    header, data = record
    folder = Path(tempfile.mkdtemp(prefix="physiospaces-fuzz-"))
    (folder / "rec.hea").write_bytes(header)
    (folder / "rec.dat").write_bytes(data)
    read = get_task(task).read
    assert structured_outcome(read, folder / "rec.hea", extra_files=(folder / "rec.dat",)) in ("value", "PhysioError")


@st.composite
def csv_tables(draw):
    """A signal CSV: header, optional `# fs=` line and BOM, separators and decimal marks, then ragged rows, extra
    columns, text cells and a huge header mutated in."""
    columns = draw(st.integers(1, 4)) + draw(st.sampled_from([0, 0, 0, 70, 2000]))  # beyond the column limit
    sep, decimal = draw(st.sampled_from([(",", "."), (";", ","), ("\t", ","), ("\t", "."), (",", ",")]))
    names = [
        draw(st.sampled_from(["MLII", "RESP", "time", "acc_x", "rr_ms", "value", "x" * 5000])) for _ in range(columns)
    ]
    rows = draw(st.integers(0, 400))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = rng.normal(0, 1, (rows, columns))
    lines = [sep.join(f"{v:.4f}".replace(".", decimal) for v in row) for row in values]
    for _ in range(draw(st.integers(0, 3))):  # ragged rows and text cells
        if lines:
            index = draw(st.integers(0, len(lines) - 1))
            lines[index] = draw(st.sampled_from(["", "abc", sep * 50, lines[index] + sep + "1", "\x00\x01"]))
    head = draw(st.sampled_from(["", "# fs=360\n", "# fs=abc\n", "# fs=1e12\n", "\ufeff# fs=125\n", "\ufeff"]))
    header = sep.join(names) if draw(st.booleans()) else ""
    text = head + (header + "\n" if header else "") + "\n".join(lines) + "\n"
    return text.encode("utf-8")


@pytest.mark.parametrize("task", TASKS)
@STRUCTURED
@given(content=csv_tables(), fs=st.sampled_from([None, 360.0, 50.0, 1e9]))
def test_csv_readers_take_mutated_tables(task, content, fs):
    assert structured_outcome(get_task(task).read, written(content, ".csv"), fs=fs) in ("value", "PhysioError")


@st.composite
def workout_files(draw):
    """A GPX or TCX run: points with time, position, elevation and heart rate, then counts, times, nesting depth and
    entity declarations mutated."""
    points = draw(st.integers(0, 300))
    step = draw(st.sampled_from([1, 5, 0, -1]))
    hr = draw(st.sampled_from(["140", "", "abc", "1e9"]))
    fmt = draw(st.sampled_from(["gpx", "tcx"]))
    if fmt == "gpx":
        point = (
            '<trkpt lat="{lat:.6f}" lon="{lon:.6f}"><ele>10</ele><time>2020-01-01T00:{m:02d}:{s:02d}Z</time>'
            "<extensions><hr>" + hr + "</hr></extensions></trkpt>"
        )
        body = '<gpx version="1.1" creator="fuzz"><trk><trkseg>{points}</trkseg></trk></gpx>'
    else:
        point = (
            "<Trackpoint><Time>2020-01-01T00:{m:02d}:{s:02d}Z</Time><Position><LatitudeDegrees>{lat:.6f}"
            "</LatitudeDegrees><LongitudeDegrees>{lon:.6f}</LongitudeDegrees></Position>"
            "<HeartRateBpm><Value>" + hr + "</Value></HeartRateBpm></Trackpoint>"
        )
        body = (
            "<TrainingCenterDatabase><Activities><Activity><Lap><Track>{points}</Track></Lap></Activity></Activities>"
            "</TrainingCenterDatabase>"
        )
    text = "".join(
        point.format(lat=45 + i * 1e-5, lon=7 + i * 1e-5, m=(i * step // 60) % 60, s=(i * step) % 60)
        for i in range(points)
    )
    depth = draw(st.sampled_from([0, 0, 50, 5000]))  # deep nesting inside the document
    text = "<a>" * depth + text + "</a>" * depth
    prolog = draw(
        st.sampled_from(
            [
                "",
                '<?xml version="1.0"?>',
                '<!DOCTYPE gpx [<!ENTITY p "' + point.format(lat=1, lon=2, m=0, s=0).replace('"', "&quot;") + '">]>',
                '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
                "<!--" + " xmlns" * 20000 + "-->",
            ]
        )
    )
    return prolog + body.format(points=text), fmt


@STRUCTURED
@given(workout=workout_files())
def test_workout_readers_take_mutated_runs(workout):
    text, fmt = workout
    start = time.monotonic()
    assert structured_outcome(read_workout, written(text.encode(), f".{fmt}")) in ("value", "PhysioError")
    assert time.monotonic() - start < 5, "a small workout file took more than 5 s to read or refuse"


@st.composite
def fit_files(draw):
    """A FIT activity written field by field (file_id, sport, record messages), then record counts, field sizes and
    base types (array fields), timestamps (device time, going backwards, invalid), header sizes, the CRC and the end
    of the file mutated."""
    records = draw(st.integers(0, 400))
    start = draw(st.sampled_from([FIT_EPOCH + 10**9, 1000, 0, 0x0FFFFFFF, 0xFFFFFFFE, 0xFFFFFFFF]))
    step = draw(st.sampled_from([1, 1, 5, 0, -1]))
    fields = [list(field) for field in FIT_RECORD_FIELDS]
    for _ in range(draw(st.integers(0, 2))):  # a field's size or base type changed: arrays, odd sizes, unknown types
        field = draw(st.sampled_from(fields))
        field[1 if draw(st.booleans()) else 2] = draw(st.sampled_from([0, 1, 3, 8, 255, 0x86, 0x07, 0x99]))
    messages = [
        fit_definition(0, 0, [(0, 1, 0x00), (1, 2, 0x84), (4, 4, 0x86)]),
        bytes([0, 4]) + (255).to_bytes(2, "little") + (10**9).to_bytes(4, "little"),
        fit_definition(1, 12, [(0, 1, 0x00)]),
        bytes([1, 1]),
        fit_definition(2, 20, fields),
    ]
    hr = draw(st.sampled_from([140, 0, 255]))
    for i in range(records):
        stamp = (start + i * step) % 2**32
        values = {253: stamp, 0: 46 * 2**31 // 180 + i, 1: 7 * 2**31 // 180, 2: 2500 + i % 50, 3: hr, 6: 2800}
        messages.append(
            bytes([2])
            + b"".join(
                int(values.get(number, 0) % 2 ** (8 * min(size, 4))).to_bytes(min(size, 4), "little")
                + bytes(max(size - 4, 0))
                for number, size, _ in fields
            )
        )
    if draw(st.booleans()):  # a data message of a local type never defined
        messages.insert(draw(st.integers(0, len(messages))), bytes([7, 1, 2, 3]))
    data_size = draw(st.sampled_from([None, None, 0, 2**31]))
    content = fit_bytes(messages, data_size=data_size, crc=draw(st.booleans()))
    cut = draw(st.one_of(st.none(), st.integers(0, len(content))))
    return content if cut is None else content[:cut]


@STRUCTURED
@given(content=fit_files())
def test_fit_reader_takes_mutated_activities(content):
    start = time.monotonic()
    assert structured_outcome(read_workout, written(content, ".fit")) in ("value", "PhysioError")
    assert time.monotonic() - start < 5, "a small FIT file took more than 5 s to read or refuse"


def test_fit_writer_of_the_fuzz_test_makes_a_file_fitdecode_reads():
    """The strategy's unmutated file is a valid activity, so mutations start from a readable file."""
    recording = read_workout(written(fit_activity(), ".fit"))
    assert recording.time.tolist() == list(range(30)) and recording.channel("heart_rate")[0] == 140.0
    assert recording.channel("speed_kmh")[0] == pytest.approx(2.8 * 3.6)


@st.composite
def uci_zips(draw):
    """A zip in the UCI HAR layout (nine inertial signal files, labels, subjects), then window counts, row widths,
    label and subject text, missing members, declared sizes and the archive's end mutated."""
    import io
    import zipfile

    from core.readers.inertial import UCI_CHANNELS, UCI_WINDOW

    windows = draw(st.integers(0, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    folder = draw(st.sampled_from(["UCI HAR Dataset/test/", "test/", "UCI HAR Dataset\\test\\"]))
    files = {}
    for channel in UCI_CHANNELS:
        rows, width = windows, UCI_WINDOW
        if draw(st.integers(0, 29)) == 0:  # a ragged or short file
            rows, width = draw(st.integers(0, 14)), draw(st.sampled_from([1, 127, 129, UCI_WINDOW]))
        values = rng.normal(0, 0.3, (rows, width)) + (1.0 if channel.startswith("total_acc_x") else 0.0)
        files[f"Inertial Signals/{channel}_test.txt"] = "\n".join(" ".join(f"{v:.6e}" for v in row) for row in values)
    labels = [str(v) for v in rng.integers(1, 7, windows)]
    subjects = [str(v) for v in rng.integers(1, 31, windows)]
    for values in (labels, subjects):
        for _ in range(draw(st.integers(0, 2))):  # a wrong count, text, out-of-range or huge values
            kind = draw(st.sampled_from(["drop", "add", "text", "zero", "huge", "float"]))
            if kind == "drop" and values:
                values.pop()
            elif kind == "add":
                values.append("3")
            elif values:
                index = draw(st.integers(0, len(values) - 1))
                values[index] = {"text": "WALKING", "zero": "0", "huge": "99999999999999999999", "float": "2.5"}.get(
                    kind, values[index]
                )
    files["y_test.txt"], files["subject_test.txt"] = "\n".join(labels), "\n".join(subjects)
    for name in draw(st.lists(st.sampled_from(sorted(files)), max_size=2)) if draw(st.integers(0, 3)) == 0 else ():
        files.pop(name, None)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(folder + name, text)
    content = buffer.getvalue()
    if draw(st.integers(0, 3)) == 0:  # the central directory declares a huge uncompressed size for one member
        entries = [k for k in range(len(content)) if content.startswith(b"PK\x01\x02", k)]
        entry = draw(st.sampled_from(entries)) if entries else 0
        content = content[: entry + 24] + (2**32 - 1).to_bytes(4, "little") + content[entry + 28 :]
    cut = draw(st.one_of(st.none(), st.none(), st.integers(0, len(content))))
    return content if cut is None else content[:cut]


@STRUCTURED
@given(content=uci_zips())
def test_uci_zip_reader_and_har_take_mutated_archives(models, content):
    start = time.monotonic()
    path = written(content, ".zip")
    task = get_task("har")
    assert structured_outcome(lambda: task.run(task.read(path), models["har"].__getitem__)) in ("value", "PhysioError")
    assert time.monotonic() - start < 5, "a small UCI zip took more than 5 s to read, classify or refuse"


def test_uci_zip_with_backslash_member_names_reads_like_the_original(tmp_path):
    """Some Windows zip tools store 'UCI HAR Dataset\\test\\...': found by the UCI fuzzing, where the split was
    recognised and then every file was reported missing."""
    import zipfile

    original = Path(__file__).parent / "fixtures" / "har_uci_tiny.zip"
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(tmp_path / "windows.zip", "w") as target:
        for info in source.infolist():
            target.writestr(info.filename.replace("/", "\\"), source.read(info))
    expected, got = read_uci_inertial(original), read_uci_inertial(tmp_path / "windows.zip")
    assert got.windows.shape == (6, 128, 9) and np.array_equal(got.windows, expected.windows)
    assert got.labels.tolist() == [1, 2, 3, 4, 5, 6] and np.array_equal(got.subjects, expected.subjects)
