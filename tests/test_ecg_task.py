"""The ECG task end to end: shipped model on real excerpts, the CLI's JSON, the Space, and every bad input."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from core import get_task, load_model
from core.__main__ import main as cli
from core.ecg.beats import AAMI_MAP
from core.errors import PhysioError
from core.readers.wfdb_records import read_wfdb
from tests.conftest import DATA_DIR, FIXTURES, needs_data

TASK = get_task("ecg")
EXAMPLES = {path.name: path for path in TASK.examples}


@pytest.fixture(scope="module")
def model():
    return load_model("ecg", backend="onnx")


@pytest.fixture(scope="module")
def intra():
    """The intra-patient benchmark CNN, which also takes lone beat rows and labels paced beats Q."""
    return load_model("ecg", variant="intra", backend="onnx")


def test_record_beats_match_reference(model):
    rec = read_wfdb(FIXTURES / "mitdb100_10s.hea")
    is_beat = [s in AAMI_MAP for s in rec.annotations["symbol"]]
    reference = rec.annotations["sample"][is_beat]
    result = model.predict_record(rec.signal[:, 0], rec.fs)
    assert len(result.times_s) == len(reference)
    np.testing.assert_allclose(result.times_s, reference / rec.fs, atol=0.15)
    # 12 normal beats and one atrial premature beat (A, class S) at 5.68 s
    assert result.predicted == [AAMI_MAP[s] for s in rec.annotations["symbol"][is_beat]]


def test_record_100_strip_matches_reference_beat_by_beat(model):
    result = TASK.predict(model, TASK.read(EXAMPLES["mitdb_100_20s.csv"]))
    # reference annotations of MIT-BIH 100, samples 305349-312549: two atrial premature beats (A -> S)
    assert "".join(result.predicted) == "NSNNNNNNSNNNNNNNNNNNNNNNN"


@pytest.mark.parametrize(
    ("example", "variant", "label", "share"),
    [("mitdb_208_20s.csv", "inter", "V", 0.2), ("mitdb_217_20s.csv", "intra", "Q", 0.5)],
)
def test_example_strips_show_their_rhythm(model, intra, example, variant, label, share):
    result = TASK.predict(model if variant == "inter" else intra, TASK.read(EXAMPLES[example]))
    counts = result.counts()
    assert counts[label] / sum(counts.values()) >= share, counts


def test_kaggle_beat_rows_are_read_by_the_intra_benchmark():
    rows = TASK.read(FIXTURES / "kaggle_beats.csv")
    assert rows.beats.shape == (9, 187) and list(rows.labels) == [0, 0, 0, 2, 2, 2, 3, 3, 3]
    result = TASK.run(rows, lambda variant: load_model("ecg", variant=variant, backend="onnx"))
    assert "intra-patient benchmark model" in result.summary() and "benchmark" in result.to_json()["note"]
    predicted = result.probabilities.argmax(axis=1)
    assert (predicted == rows.labels).mean() >= 6 / 9
    assert result.to_json()["beats"][0]["time_s"] is None


def test_intra_model_sees_pre_r_context_and_lone_rows_fall_back(intra):
    model = intra
    from core.ecg.beats import ecg_context, ecg_peaks, ecg_segment, rr_features, unknown_context, unknown_rr

    assert (model.context_samples, model.members, model.width) == (125, 2, 16)
    rows = TASK.read(FIXTURES / "kaggle_beats.csv")
    np.testing.assert_allclose(
        model.predict_beats(rows.beats), model.predict_beats(rows.beats, unknown_rr(9), unknown_context(9, 125))
    )
    with pytest.raises(PhysioError, match=r"Context must have shape \(9, >= 125\)"):
        model.predict_beats(rows.beats, None, np.zeros((9, 64)))
    # a record's beats are classified with their context: the pipeline's figures are predict_beats' with ecg_context
    rec = read_wfdb(FIXTURES / "mitdb100_10s.hea")
    lead, fs = rec.signal[:, 0], rec.fs
    peaks = ecg_peaks(lead, fs)
    direct = model.predict_beats(ecg_segment(lead, fs, peaks), rr_features(peaks, fs), ecg_context(lead, fs, peaks))
    np.testing.assert_allclose(model.predict_record(lead, fs).probabilities, direct, atol=1e-6)


def test_torch_and_float32_onnx_agree_on_a_record():
    data = TASK.read(EXAMPLES["mitdb_208_20s.csv"])
    a = TASK.predict(load_model("ecg"), data).probabilities
    float32 = load_model("ecg", backend="onnx").use_onnx(TASK.checkpoint() / "model.onnx")
    b = TASK.predict(float32, data).probabilities
    assert np.abs(a - b).max() < 1e-4


def test_cli_json_for_wfdb(capsys):
    header = EXAMPLES["mitdb_119_60s.hea"]
    assert cli(["predict", "ecg", str(header), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"task", "fs", "lead", "beats", "counts", "lead_reason", "rhythm", "scoring"}
    assert out["scoring"]["annotation_file"] == "mitdb_119_60s.atr" and out["scoring"]["reference_beats"] >= 55
    assert out["task"] == "ecg" and out["fs"] == 360.0 and out["lead"] == "MLII"
    assert set(out["beats"][0]) == {"time_s", "label", "confidence"}
    assert sum(out["counts"].values()) == len(out["beats"]) >= 55  # record 119 runs at about 65-70 bpm
    assert out["counts"]["V"] >= 1  # record 119 has ventricular bigeminy


def test_cli_csv_with_fs(capsys, tmp_path):
    strip = tmp_path / "strip.csv"
    lines = EXAMPLES["mitdb_100_20s.csv"].read_text().splitlines()
    strip.write_text("\n".join(lines[1:]) + "\n")  # drop the '# fs=360' line: the rate comes from --fs
    assert cli(["predict", "ecg", str(strip), "--fs", "360", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fs"] == 360.0


def bad_inputs(tmp_path):
    """Each bad input the issue names: (case, files, fs, message regex)."""

    def write(name, text):
        path = tmp_path / name
        path.write_text(text)
        return path

    rng = np.random.default_rng(0)
    beats_strip = EXAMPLES["mitdb_100_20s.csv"].read_text().splitlines()
    lone_header = tmp_path / "lone" / "mitdb100_10s.hea"
    lone_header.parent.mkdir()
    shutil.copy(FIXTURES / "mitdb100_10s.hea", lone_header)
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    shutil.copy(FIXTURES / "mitdb100_10s.hea", corrupt)
    (corrupt / "mitdb100_10s.dat").write_bytes(b"\x00" * 10)
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.write(b"ecg\n")
        handle.seek(101 * 2**20)
        handle.write(b"0\n")
    return [
        ("empty file", [write("empty.csv", "")], None, "is empty"),
        (
            "non-numeric cells",
            [write("text.csv", "# fs=360\necg\n" + "1\n" * 50 + "oops\n")],
            None,
            "non-numeric value 'oops'",
        ),
        (
            "NaN run",
            [write("nan.csv", "# fs=360\necg\n" + "1\n" * 50 + "nan\n" * 100 + "1\n" * 50)],
            None,
            "run of 100 missing values",
        ),
        (
            "shorter than two beats",
            [write("short.csv", "\n".join(beats_strip[:300]))],
            None,
            "shorter than two beats|at least 2 s",
        ),
        (
            "sampling rate missing",
            [write("nofs.csv", "ecg\n" + "\n".join(map(str, rng.normal(size=2000))))],
            None,
            "does not state its sampling rate",
        ),
        (
            "sampling rate out of range",
            [write("fs.csv", "\n".join(beats_strip[1:]))],
            5000,
            "outside the accepted 50-2000 Hz",
        ),
        ("WFDB header without data", [lone_header], None, "which was not provided"),
        (
            "corrupt .dat",
            [corrupt / "mitdb100_10s.hea", corrupt / "mitdb100_10s.dat"],
            None,
            "could not be decoded|corrupt|no valid samples",
        ),
        ("file over the size limit", [big], None, "over the 100 MiB limit"),
        ("flat line", [write("flat.csv", "# fs=360\necg\n" + "0.5\n" * 3600)], None, "flat line"),
    ]


def test_every_bad_input_is_one_sentence_in_library_and_cli(tmp_path, capsys):
    for case, files, fs, message in bad_inputs(tmp_path):
        with pytest.raises(PhysioError, match=message):
            TASK.predict(load_model("ecg", backend="onnx"), TASK.read(files[0], fs=fs, extra_files=tuple(files[1:])))
        argv = ["predict", "ecg", str(files[0])] + (["--fs", str(fs)] if fs else [])
        assert cli(argv) == 2, case
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, (case, err)


def test_cli_scores_against_an_uploaded_annotation_file(capsys, tmp_path):
    folder = tmp_path / "upload"
    folder.mkdir()
    for suffix in (".hea", ".dat"):
        shutil.copy(FIXTURES / f"mitdb100_10s{suffix}", folder)
    argv = ["predict", "ecg", str(folder / "mitdb100_10s.hea"), "--extra", str(FIXTURES / "mitdb100_10s.atr"), "--json"]
    assert cli(argv) == 0
    out = json.loads(capsys.readouterr().out)
    scoring = out["scoring"]
    assert scoring["annotation_file"] == "mitdb100_10s.atr" and scoring["tolerance_s"] == 0.15
    assert scoring["reference_beats"] == 13 and scoring["matched_beats"] == 13  # 12 N and one A (S) at 5.68 s
    assert scoring["per_class"]["S"]["reference"] == 1 and scoring["per_class"]["N"]["reference"] == 12
    counts = np.array(scoring["confusion"]["counts"])
    assert counts.sum() == 13 and np.trace(counts) == round(scoring["accuracy"] * 13)
    wrong = [beat for beat in out["beats"] if beat["label"] != "N"]
    disagreeing = {round(row["time_s"], 1) for row in scoring["disagreements"]}
    assert (5.7 in disagreeing) == (not any(abs(beat["time_s"] - 5.68) < 0.15 for beat in wrong))
    assert cli(["predict", "ecg", str(folder / "mitdb100_10s.hea")]) == 0
    assert "Against" not in capsys.readouterr().out  # no annotation file, no scoring


def two_lead_recording(ecg, fs, names=("A", "B")):
    from core.readers import Recording

    noise = np.random.default_rng(0).normal(scale=0.05, size=len(ecg))
    return Recording(signal=np.column_stack([noise, ecg]), fs=fs, channels=names)


def test_lead_choice_is_said_and_an_inverted_lead_is_flipped(model):
    rec = read_wfdb(FIXTURES / "mitdb100_10s.hea")
    lead = rec.signal[:, 0]
    upright = TASK.predict(model, two_lead_recording(lead, rec.fs))
    assert upright.lead_name == "B" and upright.lead_reason.startswith("the most MLII-like of 2 leads")
    inverted = TASK.predict(model, two_lead_recording(-lead, rec.fs))
    assert inverted.lead_reason.endswith("its QRS complexes point down, so it was flipped upright")
    np.testing.assert_allclose(inverted.lead, lead)
    assert inverted.predicted == upright.predicted
    named = TASK.predict(model, two_lead_recording(lead, rec.fs, names=("V1", "MLII")))
    assert named.lead_reason == "named like the model's training lead MLII"
    asked = TASK.predict(model, two_lead_recording(lead, rec.fs), lead="b")
    assert asked.lead_name == "B" and asked.lead_reason == "the lead asked for"
    with pytest.raises(PhysioError, match=r"Lead 'C' is not in this recording; its leads are \['A', 'B'\]"):
        TASK.predict(model, two_lead_recording(lead, rec.fs), lead="C")


def test_cli_lead_option(capsys):
    header = EXAMPLES["mitdb_119_60s.hea"]
    assert cli(["predict", "ecg", str(header), "--option", "lead=MLII", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lead"] == "MLII" and out["lead_reason"] == "the lead asked for"


def test_implausible_heart_rate_says_the_rate_is_probably_wrong():
    from core.ecg.pipeline import ECGResult, check_plausible

    def result(period_s: float, labels: str) -> ECGResult:
        probabilities = np.eye(4)[["NSVF".index(c) for c in labels]]
        times = np.arange(len(labels)) * period_s
        return ECGResult(fs=50.0, times_s=times, probabilities=probabilities, labels=tuple("NSVF"), lead_name="I")

    with pytest.raises(
        PhysioError, match=r"lead I give a heart rate of 15 bpm, outside 20-250, at 50 Hz; the sampling"
    ):
        check_plausible(result(4.0, "N" * 20))
    with pytest.raises(PhysioError, match="heart rate of 300 bpm"):
        check_plausible(result(0.2, "V" * 20))
    check_plausible(result(4.0, "NV" * 10))  # a mix of classes is labelled, whatever the rate
    check_plausible(result(0.3, "V" * 20))  # 200 bpm: a fast run, not a wrong rate


@needs_data("mitdb", "100.hea")
def test_unnamed_leads_of_mitbih_records_pick_mlii_by_qrs_shape():
    from core.ecg.pipeline import choose_lead
    from core.readers import Recording

    picked = []
    for header in sorted((DATA_DIR / "mitdb").glob("*.hea")):
        rec = read_wfdb(header)
        if "MLII" in rec.channels:
            hidden = Recording(signal=rec.signal, fs=rec.fs, channels=("A", "B"))
            picked.append(choose_lead(hidden)[1] == "AB"[rec.channels.index("MLII")])
    assert len(picked) == 46 and sum(picked) >= 40  # measured: 40 of 46 (QRS prominence alone: 27)
