"""Workout readers on tiny real-format fixtures (the first 80 points of an MIT-licensed run) and bad files."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InputError, NoMotionDataError, TimestampOrderError, UnsupportedFormatError
from core.readers.workouts import haversine_m, read_workout, speed_from_gps, workout_recording
from tests.conftest import FIXTURES
from training.hr_examples import write_fit, write_gpx, write_tcx

FIRST_POINT = {"altitude_m": 4.8, "heart_rate": 112.0, "latitude": 46.158643, "longitude": -1.1469579}


@pytest.mark.parametrize("name", ["hr_run.gpx", "hr_run.tcx", "hr_run.fit", "hr_run_endomondo.json"])
def test_every_format_reads_the_same_run(name):
    recording = read_workout(FIXTURES / name)
    assert recording.signal.shape == (80, 5)
    assert recording.time[:5].tolist() == [0.0, 1.0, 6.0, 14.0, 18.0] and recording.time[-1] == 450.0
    assert recording.channel("heart_rate")[0] == 112.0 and recording.channel("heart_rate")[-1] == 145.0
    assert np.nanmean(recording.channel("heart_rate")) == pytest.approx(138.425)
    assert recording.channel("altitude_m")[0] == pytest.approx(4.8, abs=1e-6)
    if name != "hr_run_endomondo.json":
        assert recording.channel("latitude")[0] == pytest.approx(46.158643, abs=1e-6)
        assert recording.channel("longitude")[0] == pytest.approx(-1.1469579, abs=1e-6)


def test_device_speed_is_read_in_kmh_and_gps_speed_is_derived():
    tcx, fit, gpx = (read_workout(FIXTURES / n) for n in ("hr_run.tcx", "hr_run.fit", "hr_run.gpx"))
    assert tcx.meta["speed_source"] == "device" and tcx.channel("speed_kmh")[0] == pytest.approx(1.185 * 3.6)
    assert fit.channel("speed_kmh")[2] == pytest.approx(tcx.channel("speed_kmh")[2], abs=0.01)
    assert gpx.meta["speed_source"] == "gps"
    expected = haversine_m(gpx.channel("latitude")[2:4], gpx.channel("longitude")[2:4])[0] / 8.0 * 3.6
    assert gpx.channel("speed_kmh")[3] == pytest.approx(expected)
    assert 8.5 < np.mean(gpx.channel("speed_kmh")) < 9.5 and 8.5 < np.mean(tcx.channel("speed_kmh")) < 9.5


def test_gpx_without_heart_rate_reads_nan_heart_rate():
    recording = read_workout(FIXTURES / "hr_run_nohr.gpx")
    assert np.isnan(recording.channel("heart_rate")).all()
    assert recording.meta["sport"] == "running"


def test_haversine_one_degree_of_latitude():
    assert haversine_m(np.array([0.0, 1.0]), np.array([0.0, 0.0]))[0] == pytest.approx(111_195, rel=1e-3)
    speed = speed_from_gps(np.array([0.0, 10.0]), np.array([0.0, 0.0]), np.array([0.0, 0.000899]))
    assert speed.tolist() == pytest.approx([36.0, 36.0], rel=1e-2)


def test_other_formats_are_refused_with_the_accepted_list(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("time,speed\n0,10\n")
    with pytest.raises(UnsupportedFormatError, match=r"unsupported type '\.csv'.*GPX.*TCX.*FIT"):
        read_workout(path)


def test_broken_gpx_says_it_is_not_gpx(tmp_path):
    path = tmp_path / "run.gpx"
    path.write_text("this is not xml")
    with pytest.raises(InputError, match="not a valid GPX"):
        read_workout(path)


def test_run_without_speed_or_gps_is_refused(tmp_path):
    path = write_tcx(tmp_path / "indoor.tcx", np.arange(100.0), heart_rate=np.full(100, 120.0))
    with pytest.raises(NoMotionDataError, match="neither speed nor GPS"):
        read_workout(path)


def test_backwards_timestamps_are_refused(tmp_path):
    time_s = 1_600_000_000 + np.arange(100.0)
    time_s[50] = time_s[40]
    path = write_gpx(tmp_path / "clock.gpx", time_s, np.full(100, 46.0), 7.0 + np.arange(100) * 1e-5)
    with pytest.raises(TimestampOrderError, match="backwards at point 51"):
        read_workout(path)


def test_heart_rate_outside_30_240_is_ignored_with_a_note():
    hr = np.full(100, 150.0)
    hr[[3, 7]] = [250.0, 20.0]
    recording = workout_recording(time_s=np.arange(100.0), speed_kmh=np.full(100, 10.0), heart_rate=hr)
    assert np.isnan(recording.channel("heart_rate")[[3, 7]]).all()
    assert np.isfinite(recording.channel("heart_rate")).sum() == 98
    assert recording.meta["notes"] == ["2 heart-rate values outside 30-240 bpm were ignored."]


def test_repeated_timestamps_keep_the_first_point():
    recording = workout_recording(time_s=[0.0, 1.0, 1.0, 2.0], speed_kmh=[5.0, 6.0, 7.0, 8.0])
    assert recording.time.tolist() == [0.0, 1.0, 2.0]
    assert recording.channel("speed_kmh").tolist() == [5.0, 6.0, 8.0]


def test_repeated_gps_fixes_read_the_true_speed(tmp_path):
    """1 Hz points whose fix changes every 4 s (as some watches write): 10.2 km/h, not 0 on the repeats and 40 on the
    updates, and not 3.6 km/h once the pipeline drops those 40 km/h 'jumps'."""
    from core.hr.pipeline import workout_grid

    time_s = np.arange(0.0, 900.0)
    latitude = (time_s // 4) * 4 * (10.2 / 3.6) / 111_195.0
    path = write_gpx(tmp_path / "repeated_fixes.gpx", time_s, 45.0 + latitude, np.full(len(time_s), 6.0))
    recording = read_workout(path)
    np.testing.assert_allclose(recording.channel("speed_kmh"), 10.2, rtol=1e-3)
    assert np.median(workout_grid(recording).speed_kmh) == pytest.approx(10.2, rel=1e-3)


def test_a_stop_with_the_fix_repeated_reads_near_zero():
    time_s = np.arange(10.0)
    latitude = np.array([0, 1, 2, 3, 3, 3, 3, 3, 4, 5]) * 1e-5  # 1.1 m/s, then 5 s standing, then on
    speed = speed_from_gps(time_s, latitude, np.zeros(10))
    np.testing.assert_allclose(speed[[0, 1, 2, 3, 9]], 1e-5 * 111_195 * 3.6, rtol=1e-3)
    np.testing.assert_allclose(speed[4:9], 1e-5 * 111_195 * 3.6 / 5, rtol=1e-3)


def test_original_endomondo_python_literal_lines_are_read_as_json(tmp_path):
    line = (
        "{'gender': 'male', 'sport': 'run', 'userId': 1, 'id': 7, 'flag': True, 'note': None, 'url': \"it's\", "
        "'timestamp': [0, 10, 20, 30], 'heart_rate': [100, 110, 120, 130], 'speed': [10.0, 10.5, 11.0, 11.5], "
        "'altitude': [5.0, 5.0, 6.0, 6.0]}\n"
    )
    (tmp_path / "endomondoHR.json").write_text(line)
    recording = read_workout(tmp_path / "endomondoHR.json")
    assert recording.name == "endomondoHR-7" and recording.meta["gender"] == "male"
    np.testing.assert_array_equal(recording.channel("heart_rate"), [100, 110, 120, 130])
    np.testing.assert_array_equal(recording.channel("speed_kmh"), [10.0, 10.5, 11.0, 11.5])


def test_deeply_nested_endomondo_line_is_one_sentence(tmp_path):
    (tmp_path / "nested.json").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(InputError, match=r"^Line 1 of 'nested.json' is not a FitRec workout record; keep one JSON"):
        read_workout(tmp_path / "nested.json")


def _hostile_gpx(path, body: str, *, head: str = "", gpx_attributes: str = "") -> str:
    """A GPX whose track is the 80-point fixture's, with `body` before it (inside <gpx>) and `head` before <gpx>."""
    track = (FIXTURES / "hr_run.gpx").read_text()
    start = track.index("<trk>")
    opening = track[track.index("<gpx") : start]
    if gpx_attributes:
        opening = opening.replace("<gpx ", f"<gpx {gpx_attributes} ", 1)
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + head + opening + body + track[start:])
    return path


def test_gpx_full_of_xmlns_in_a_comment_reads_in_well_under_a_second(tmp_path):
    """The gpxpy pre-scan took 48 s on 640 KB of ' xmlns' in a comment and froze every other request."""
    import time

    path = _hostile_gpx(tmp_path / "comment.gpx", "<!--" + " xmlns" * 110_000 + "-->")
    started = time.perf_counter()
    recording = read_workout(path)
    assert time.perf_counter() - started < 1.0
    assert len(recording.time) == 80 and recording.channel("heart_rate")[0] == FIRST_POINT["heart_rate"]


def test_gpx_with_20000_namespace_declarations_reads_fast_and_registers_none(tmp_path):
    import time
    from xml.etree import ElementTree

    declarations = " ".join(f'xmlns:p{i}="urn:p{i}"' for i in range(20_000))
    path = _hostile_gpx(tmp_path / "namespaces.gpx", "", gpx_attributes=declarations)
    registered = len(ElementTree._namespace_map)
    started = time.perf_counter()
    assert len(read_workout(path).time) == 80
    assert time.perf_counter() - started < 2.0
    assert len(ElementTree._namespace_map) == registered


@pytest.mark.parametrize("suffix", ["gpx", "tcx"])
def test_internal_entities_are_refused_before_expansion(tmp_path, suffix):
    """300k points from 0.9 MB through an entity bypassed the point cap; entities are now refused outright."""
    track = (FIXTURES / f"hr_run.{suffix}").read_text()
    root = "gpx" if suffix == "gpx" else "TrainingCenterDatabase"
    head = f"<!DOCTYPE {root} [<!ENTITY p \"<trkpt lat='1' lon='1'/>\"><!ENTITY q \"&p;&p;&p;&p;&p;&p;&p;&p;\">]>\n"
    body = track.split("?>", 1)[1] if track.startswith("<?xml") else track
    path = tmp_path / f"entities.{suffix}"
    path.write_text('<?xml version="1.0"?>\n' + head + body)
    with pytest.raises(InputError, match=rf"^File 'entities.{suffix}' declares XML entities .*export the run again"):
        read_workout(path)


def test_waypoints_and_route_points_count_towards_the_point_limit(tmp_path):
    waypoints = '<wpt lat="1" lon="1"/>' * 60_000 + '<rte><rtept lat="1" lon="1"/></rte>' * 50_000
    path = _hostile_gpx(tmp_path / "waypoints.gpx", waypoints)
    with pytest.raises(InputError, match=r"^File 'waypoints.gpx' has about 110,080 track points, over the 100,000"):
        read_workout(path)


def test_points_the_byte_count_misses_are_counted_while_streaming(tmp_path, monkeypatch):
    """A namespace prefix hides points from the byte pre-count (`<g:trkpt`); the streaming count still stops them."""
    from core.readers import workouts

    monkeypatch.setattr(workouts, "MAX_TRACK_POINTS", 100)
    prefixed = '<g:wpt lat="1" lon="1"/>' * 30  # 80 track points + 30 waypoints the byte count does not see
    path = _hostile_gpx(
        tmp_path / "prefixed.gpx", prefixed, gpx_attributes='xmlns:g="http://www.topografix.com/GPX/1/1"'
    )
    with pytest.raises(InputError, match=r"^File 'prefixed.gpx' has over 100 track points, the limit of one request"):
        read_workout(path)


def test_deep_nesting_is_refused(tmp_path):
    path = _hostile_gpx(tmp_path / "deep.gpx", "<extensions>" + "<a>" * 100_000 + "</a>" * 100_000 + "</extensions>")
    with pytest.raises(InputError, match=r"^File 'deep.gpx' nests XML elements over 64 levels deep, which no GPX"):
        read_workout(path)


def test_element_count_is_bounded_while_streaming(tmp_path, monkeypatch):
    from core.readers import workouts

    monkeypatch.setattr(workouts, "MAX_XML_ELEMENTS", 5_000)
    path = _hostile_gpx(tmp_path / "many.gpx", "<extensions>" + "<a/>" * 5_000 + "</extensions>")
    with pytest.raises(InputError, match=r"^File 'many.gpx' has over 5,000 XML elements, the limit of one request"):
        read_workout(path)


def test_fit_messages_of_every_kind_are_bounded(monkeypatch):
    from core.readers import workouts

    monkeypatch.setattr(workouts, "MAX_FIT_MESSAGES", 20)
    with pytest.raises(InputError, match=r"^File 'hr_run.fit' has over 20 FIT messages, the limit of one request"):
        read_workout(FIXTURES / "hr_run.fit")


MUTANT_TOKENS = ("NaN", "-1e309", "", "<", "&amp;", "&x;", "2020-13-45T00:00:00Z", "1e400", "<trkpt>", "</trkseg>")


@pytest.mark.parametrize("suffix", ["gpx", "tcx"])
def test_mutated_valid_files_give_a_recording_or_one_sentence(tmp_path_factory, suffix):
    """Structure-aware fuzzing: a valid file from the project's writers, then slices deleted or repeated and values
    replaced; every outcome is a Recording or a PhysioError (one sentence), never another exception."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from core.errors import PhysioError

    folder = tmp_path_factory.mktemp(f"mutants_{suffix}")
    time_s = 1_600_000_000 + np.arange(120.0) * 5
    latitude, longitude = 46.0 + np.arange(120) * 1e-4, np.full(120, 7.0)
    hr, altitude = np.full(120, 140.0), np.linspace(400, 420, 120)
    if suffix == "gpx":
        source = write_gpx(folder / "base.gpx", time_s, latitude, longitude, altitude, hr).read_text()
    else:
        source = write_tcx(folder / "base.tcx", time_s, latitude, longitude, altitude, hr).read_text()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        cuts=st.lists(
            st.tuples(
                st.integers(0, len(source)),
                st.integers(0, 400),
                st.sampled_from(["delete", "repeat", "replace"]),
                st.sampled_from(MUTANT_TOKENS),
            ),
            min_size=1,
            max_size=4,
        )
    )
    def check(cuts):
        text = source
        for start, length, action, token in cuts:
            piece = text[start : start + length]
            replacement = {"delete": "", "repeat": piece * 3, "replace": token}[action]
            text = text[:start] + replacement + text[start + length :]
        path = folder / f"mutant.{suffix}"
        path.write_text(text)
        try:
            assert len(read_workout(path).time) >= 1
        except PhysioError as exc:
            assert str(exc).count(". ") <= 1 and str(exc).endswith(".")

    check()


def test_fit_with_device_time_stamps_reads_from_zero(tmp_path):
    """Timestamps below 0x10000000 are FIT 'device time' (fitdecode gives plain seconds): read, not a traceback."""
    time_s = 631_065_600 + 1000 + np.arange(100.0)  # the FIT epoch + 1000 s
    path = write_fit(
        tmp_path / "device.fit",
        time_s,
        np.full(100, 46.0),
        7 + np.arange(100) * 1e-4,
        np.full(100, 400.0),
        np.full(100, 140.0),
        np.full(100, 10.0),
    )
    recording = read_workout(path)
    assert recording.time[:3].tolist() == [0.0, 1.0, 2.0] and recording.channel("heart_rate")[5] == 140.0


def test_fit_array_fields_give_their_first_finite_number():
    from core.readers.workouts import fit_number

    assert fit_number((None, 151, 152)) == 151.0 and fit_number([]) != fit_number([])  # NaN
    assert fit_number("fast") != fit_number("fast") and fit_number(7) == 7.0
