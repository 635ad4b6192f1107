"""Workout files (GPX, TCX, FIT, Endomondo FitRec JSON lines) as a `Recording` of speed, altitude and heart rate.

Every reader collects per-point lists and hands them to `workout_recording`, which checks the timestamps, derives
speed from GPS when the file has none, and drops heart-rate values outside 30-240 bpm with a note.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

import numpy as np

from core.dependencies import require
from core.errors import (
    FileTooLargeError,
    InputError,
    NoMotionDataError,
    TimestampError,
    TimestampOrderError,
    UnsupportedFormatError,
)
from core.readers import Recording, check_file

WORKOUT_CHANNELS = ("speed_kmh", "altitude_m", "heart_rate", "latitude", "longitude")
WORKOUT_SUFFIXES = (".gpx", ".tcx", ".fit", ".json", ".jsonl")
ACCEPTED = "GPX (.gpx), TCX (.tcx), FIT (.fit) or Endomondo FitRec JSON lines (.json)"
HR_RANGE = (30.0, 240.0)
EARTH_RADIUS_M = 6_371_008.8
_SEMICIRCLE_DEG = 180.0 / 2**31
MAX_TRACK_POINTS = 100_000
"""Most track points one request may read (27 h at one point per second);
counted before the XML parser builds its tree."""


def haversine_m(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres between consecutive points (degrees); NaN where either point lacks a fix."""
    lat, lon = np.radians(lat), np.radians(lon)
    dlat, dlon = np.diff(lat), np.diff(lon)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def speed_from_gps(time_s: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Speed in km/h from GPS fixes: haversine distance over elapsed time between consecutive distinct fixes.

    Devices that repeat the last fix until a new one arrives (every 3-4 s on some watches) would otherwise read zero
    speed on the repeats and 3-4 times the speed on the updates; every point between two distinct fixes gets the
    mean speed of that interval instead (so a real stop, a fix repeated for minutes, still reads near zero). The first
    fix copies the first interval's speed.
    """
    fixed = np.isfinite(lat) & np.isfinite(lon)
    speed = np.full(len(time_s), np.nan)
    index = np.flatnonzero(fixed)
    moved = np.concatenate([[True], (np.diff(lat[index]) != 0) | (np.diff(lon[index]) != 0)])
    distinct = index[moved]
    if len(distinct) < 2:
        return speed
    steps = haversine_m(lat[distinct], lon[distinct]) / np.maximum(np.diff(time_s[distinct]), 1e-3) * 3.6
    interval = np.clip(np.searchsorted(distinct, index, side="left"), 1, len(distinct) - 1)
    speed[index] = steps[interval - 1]
    return speed


def workout_recording(
    *,
    time_s,
    speed_kmh=None,
    altitude_m=None,
    heart_rate=None,
    latitude=None,
    longitude=None,
    name: str = "workout",
    sport: str = "",
    gender: str = "unknown",
    source_format: str = "",
) -> Recording:
    """A checked workout `Recording` from per-point values (None or NaN where a point lacks a value).

    time_s: timestamps in seconds (any origin); repeated timestamps keep their first point, backwards ones are refused.
    speed_kmh: recorded speed; derived from latitude/longitude (degrees) by haversine where missing.
    heart_rate: bpm; values outside 30-240 are set to NaN and counted in `meta["notes"]`.
    """
    time_s = np.asarray(time_s, dtype=float)
    n = len(time_s)

    def column(values) -> np.ndarray:
        return np.full(n, np.nan) if values is None else np.asarray(values, dtype=float).reshape(n)

    if n == 0:
        raise InputError(
            f"Workout {name!r} has no track points with a timestamp; export the run with its recorded points."
        )
    if not np.isfinite(time_s).all():
        raise InputError(f"Workout {name!r} has track points without a valid timestamp; re-export it with times.")
    backwards = np.flatnonzero(np.diff(time_s) < 0)
    if len(backwards):
        i = int(backwards[0]) + 1
        raise TimestampOrderError(
            f"Workout {name!r} has timestamps going backwards at point {i + 1} ({time_s[i] - time_s[i - 1]:+.0f} s); "
            "fix or re-export the file so that times increase."
        )
    keep = np.concatenate([[True], np.diff(time_s) > 0])
    columns = {
        key: column(values)[keep]
        for key, values in (
            ("speed_kmh", speed_kmh),
            ("altitude_m", altitude_m),
            ("heart_rate", heart_rate),
            ("latitude", latitude),
            ("longitude", longitude),
        )
    }
    time_s = time_s[keep]
    notes = []
    has_gps = np.isfinite(columns["latitude"]).sum() >= 2
    if not np.isfinite(columns["speed_kmh"]).any() and not has_gps:
        raise NoMotionDataError(
            f"Workout {name!r} has neither speed nor GPS positions, so its pace is unknown; "
            "upload a run recorded with GPS or a speed sensor."
        )
    speed = columns["speed_kmh"]
    if not np.isfinite(speed).any():
        speed = speed_from_gps(time_s, columns["latitude"], columns["longitude"])
        speed_source = "gps"
    else:
        speed_source = "device"
    hr = columns["heart_rate"]
    outside = np.isfinite(hr) & ((hr < HR_RANGE[0]) | (hr > HR_RANGE[1]))
    if outside.any():
        notes.append(
            f"{int(outside.sum())} heart-rate values outside {HR_RANGE[0]:.0f}-{HR_RANGE[1]:.0f} bpm were ignored."
        )
        hr = np.where(outside, np.nan, hr)
    signal = np.column_stack([speed, columns["altitude_m"], hr, columns["latitude"], columns["longitude"]])
    steps = np.diff(time_s)
    fs = 1.0 / float(np.median(steps)) if len(steps) else 1.0
    meta = {
        "sport": sport.lower(),
        "gender": gender.lower() or "unknown",
        "format": source_format,
        "speed_source": speed_source,
        "notes": notes,
    }
    return Recording(signal=signal, fs=fs, channels=WORKOUT_CHANNELS, name=name, time=time_s - time_s[0], meta=meta)


def _float(text) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return np.nan


def _timestamp(value) -> float:
    """Seconds of a datetime; a number is FIT "device time" (seconds since the device powered on, below
    0x10000000), which only the differences matter for."""
    if value is None:
        return np.nan
    return float(value) if isinstance(value, (int, float)) else value.timestamp()


def fit_number(value) -> float:
    """A FIT field as one number: an array field (heart rate in some files) gives its first finite element; anything
    that is not a number gives NaN."""
    if isinstance(value, (list, tuple)):
        return next((v for v in map(fit_number, value) if np.isfinite(v)), np.nan)
    return _float(value)


MAX_XML_ELEMENTS = 2_000_000
"""Most XML elements one GPX/TCX may hold (20 per track point at the point limit), counted while streaming."""
MAX_XML_DEPTH = 64
"""Deepest element nesting of a GPX/TCX (real files nest under 12 levels)."""
MAX_FIT_MESSAGES = 2_000_000
"""Most FIT data messages of every kind (records, laps, events, HRV...) one request may read."""
GPX_POINT_TAGS = (b"trkpt", b"rtept", b"wpt")
TCX_POINT_TAGS = (b"Trackpoint",)


def _local(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def check_track_points(path: Path, tags: tuple[bytes, ...]) -> None:
    """Refuse a GPX/TCX with over MAX_TRACK_POINTS points of the `tags` kinds, by counting tags in 1 MiB pieces before
    any parsing."""
    counts, tails = dict.fromkeys(tags, 0), dict.fromkeys(tags, b"")
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            for tag in tags:
                counts[tag] += (tails[tag] + chunk).count(b"<" + tag)
                tails[tag] = chunk[-len(tag) :]
    points = sum(counts.values())
    if points > MAX_TRACK_POINTS:
        raise FileTooLargeError(
            f"File {path.name!r} has about {points:,} track points, over the {MAX_TRACK_POINTS:,} limit of one "
            "request; upload a single workout or a shorter excerpt."
        )


def iter_xml_points(
    path: Path, *, kind: str, points: tuple[str, ...], starts: tuple[str, ...] = (), ends: tuple[str, ...] = ()
) -> Iterator:
    """Stream a GPX/TCX with defusedxml's safe parser: yields ("start", element) for tags in `starts` (attributes
    only), ("end", element) for finished tags in `ends` outside points, and ("point", element) for each finished
    element in `points`; everything is cleared once yielded, so the whole tree is never held.

    Entity declarations, external references, more than MAX_XML_ELEMENTS elements, nesting deeper than MAX_XML_DEPTH or
    more than MAX_TRACK_POINTS points are refused while reading; `kind` ("GPX", "TCX") names the format in messages.
    """
    require("defusedxml", purpose=f"Reading {kind} files safely")
    ElementTree = require("defusedxml.ElementTree", purpose=f"Reading {kind} files safely")
    defused = require("defusedxml.common", purpose=f"Reading {kind} files safely")
    depth = elements = found = inside = 0
    try:
        for event, element in ElementTree.iterparse(path, events=("start", "end")):
            name = _local(element)
            if event == "start":
                depth, elements = depth + 1, elements + 1
                if depth > MAX_XML_DEPTH:
                    raise InputError(
                        f"File {path.name!r} nests XML elements over {MAX_XML_DEPTH} levels deep, which no {kind} "
                        f"export does; export the run again as {kind}."
                    )
                if elements > MAX_XML_ELEMENTS:
                    raise FileTooLargeError(
                        f"File {path.name!r} has over {MAX_XML_ELEMENTS:,} XML elements, the limit of one request; "
                        "upload a single workout or a shorter excerpt."
                    )
                if name in points:
                    found, inside = found + 1, inside + 1
                    if found > MAX_TRACK_POINTS:
                        raise FileTooLargeError(
                            f"File {path.name!r} has over {MAX_TRACK_POINTS:,} track points, the limit of one "
                            "request; upload a single workout or a shorter excerpt."
                        )
                if name in starts:
                    yield "start", element
                continue
            depth -= 1
            if name in points:
                inside -= 1
                yield "point", element
            elif name in ends and not inside:
                yield "end", element
            if not inside:
                element.clear()  # nothing outside a point is kept once read, so memory stays flat
    except defused.DefusedXmlException as exc:
        raise InputError(
            f"File {path.name!r} declares XML entities or external references ({type(exc).__name__}), which are "
            f"refused; export the run again as plain {kind}."
        ) from None
    except ElementTree.ParseError as exc:
        raise InputError(
            f"File {path.name!r} is not a valid {kind} file ({exc}); export the run again as "
            f"{kind}{' 1.1' if kind == 'GPX' else ''}."
        ) from None


def _iso_seconds(text: str | None, path: Path, kind: str) -> float:
    """Seconds since the epoch of an ISO 8601 time (no zone is taken as UTC); NaN when absent."""
    from datetime import datetime, timezone

    if text is None or not text.strip():
        return np.nan
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TimestampError(
            f"File {path.name!r} has a track point time {text.strip()[:40]!r} that is not an ISO 8601 date; "
            f"export the activity again as {kind}."
        ) from None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


def read_gpx(path: str | Path) -> Recording:
    """GPX 1.0/1.1 track points with elevation and Garmin TrackPointExtension heart rate (`gpxtpx:hr`), read by
    streaming (`iter_xml_points`); route points and waypoints count towards the point limit but are not a run."""
    path = check_file(path)
    check_track_points(path, GPX_POINT_TAGS)
    rows, sport = [], ""
    for event, element in iter_xml_points(path, kind="GPX", points=("trkpt", "rtept", "wpt"), ends=("type",)):
        if event == "end":
            sport = sport or (element.text or "").strip()
            continue
        if _local(element) != "trkpt":
            continue
        values = {}
        for child in element.iter():
            name = _local(child).lower()
            if name in ("time", "ele", "hr", "heartrate") and name not in values:
                values[name] = child.text
        rows.append(
            (
                _iso_seconds(values.get("time"), path, "GPX"),
                _float(element.get("lat")),
                _float(element.get("lon")),
                _float(values.get("ele")),
                _float(values.get("hr", values.get("heartrate"))),
            )
        )
    if not rows:
        raise InputError(f"File {path.name!r} has no track points; export the recorded track, not a route.")
    time_s, lat, lon, alt, hr = map(np.array, zip(*rows))
    return workout_recording(
        time_s=time_s,
        altitude_m=alt,
        heart_rate=hr,
        latitude=lat,
        longitude=lon,
        name=path.stem,
        sport=sport,
        source_format="gpx",
    )


def read_tcx(path: str | Path) -> Recording:
    """TCX (Garmin Training Center) track points: time, position, altitude, heart rate, `ns3:TPX/Speed` (m/s), read by
    streaming (`iter_xml_points`)."""
    path = check_file(path)
    check_track_points(path, TCX_POINT_TAGS)
    rows, sport = [], ""
    for event, element in iter_xml_points(path, kind="TCX", points=("Trackpoint",), starts=("Activity",)):
        if event == "start":
            sport = sport or element.get("Sport", "")
            continue
        # one pass over the point's elements; every tag read here is unique within a Trackpoint ("Value" is the heart
        # rate)
        values = {_local(e): e.text for e in element.iter()}
        if values.get("Time") is None:
            continue
        rows.append(
            (
                _iso_seconds(values["Time"], path, "TCX"),
                _float(values.get("LatitudeDegrees")),
                _float(values.get("LongitudeDegrees")),
                _float(values.get("AltitudeMeters")),
                _float(values.get("Value")),
                _float(values.get("Speed")) * 3.6,
            )
        )
    if not rows:
        raise InputError(f"File {path.name!r} has no TCX track points; export the activity with its track.")
    time_s, lat, lon, alt, hr, speed = map(np.array, zip(*rows))
    return workout_recording(
        time_s=time_s,
        speed_kmh=speed,
        altitude_m=alt,
        heart_rate=hr,
        latitude=lat,
        longitude=lon,
        name=path.stem,
        sport=sport,
        source_format="tcx",
    )


def _fit_frames(reader, name: str):
    """fitdecode's frames; a definition it cannot decode (a field of size 0, a timestamp stored as an array) raises
    ValueError or TypeError inside fitdecode, which is the file's fault, so it becomes an InputError."""
    frames = iter(reader)
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except (ValueError, TypeError):
            raise InputError(
                f"File {name!r} is not a valid FIT file (a message's field sizes or types do not match the FIT "
                "profile); copy the original .fit from the device."
            ) from None
        yield frame


def read_fit(path: str | Path) -> Recording:
    """FIT `record` messages (timestamp, enhanced_speed or speed in m/s, altitude, heart_rate,
    semicircle position) via fitdecode."""
    fitdecode = require("fitdecode", purpose="Reading FIT files")

    path = check_file(path)
    rows, sport, messages = [], "", 0
    try:
        with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.WARN) as reader:
            for frame in _fit_frames(reader, path.name):
                if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                    continue
                messages += 1
                if messages > MAX_FIT_MESSAGES:
                    raise FileTooLargeError(
                        f"File {path.name!r} has over {MAX_FIT_MESSAGES:,} FIT messages, the limit of one request; "
                        "upload a single workout or a shorter excerpt."
                    )
                if frame.name not in ("record", "sport", "session"):
                    continue
                # one dict per message: fitdecode's has_field/get_value scan every field on each call
                fields = {field.name: field.value for field in frame.fields if field.value is not None}
                if frame.name != "record":
                    sport = sport or str(fields.get("sport") or "")
                    continue
                if "timestamp" not in fields:
                    continue
                if len(rows) >= MAX_TRACK_POINTS:
                    raise FileTooLargeError(
                        f"File {path.name!r} has over {MAX_TRACK_POINTS:,} record messages, the limit of one request; "
                        "upload a single workout or a shorter excerpt."
                    )

                def value(*names):
                    return next((fit_number(fields[name]) for name in names if name in fields), np.nan)

                rows.append(
                    (
                        _timestamp(fields["timestamp"]),
                        value("enhanced_speed", "speed") * 3.6,
                        value("enhanced_altitude", "altitude"),
                        value("heart_rate"),
                        value("position_lat") * _SEMICIRCLE_DEG,
                        value("position_long") * _SEMICIRCLE_DEG,
                    )
                )
    except fitdecode.FitError as exc:
        raise InputError(
            f"File {path.name!r} is not a valid FIT file ({exc}); copy the original .fit from the device."
        ) from None
    if not rows:
        raise InputError(
            f"File {path.name!r} has no FIT record messages; upload an activity file, not a course or settings file."
        )
    time_s, speed, alt, hr, lat, lon = map(np.array, zip(*rows))
    return workout_recording(
        time_s=time_s,
        speed_kmh=speed,
        altitude_m=alt,
        heart_rate=hr,
        latitude=lat,
        longitude=lon,
        name=path.stem,
        sport=sport,
        source_format="fit",
    )


_PYTHON_LITERAL_TOKENS = re.compile(r"""'([^'\\\n]*)'|("(?:[^"\\\n]|\\.)*")|\b(True|False|None)\b""")
_JSON_CONSTANTS = {"True": "true", "False": "false", "None": "null"}


def _python_literal_as_json(line: str) -> str:
    """The Python-literal dict of an original `endomondoHR.json` line as JSON text: single-quoted strings (FitRec's
    have no quotes or escapes inside) re-quoted, True/False/None renamed. Never evaluated: a Python literal evaluator
    takes about 200 times a line's size in memory."""

    def token(match: re.Match) -> str:
        single, double, constant = match.groups()
        if single is not None:
            return json.dumps(single)
        return double if double is not None else _JSON_CONSTANTS[constant]

    return _PYTHON_LITERAL_TOKENS.sub(token, line)


def _endomondo_line(line: str) -> dict:
    """One FitRec line: JSON, or the Python-literal dict of the original `endomondoHR.json`."""
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return json.loads(_python_literal_as_json(line))


def endomondo_recording(workout: dict, name: str = "endomondo") -> Recording:
    """A workout dict of the FitRec dataset (userId, gender, sport, timestamp, altitude, heart_rate,
    speed or positions)."""
    if not isinstance(workout, dict) or "timestamp" not in workout:
        raise InputError(
            f"Workout {name!r} has no 'timestamp' list; each FitRec line needs timestamp, speed or positions."
        )
    return workout_recording(
        time_s=workout["timestamp"],
        speed_kmh=workout.get("speed"),
        altitude_m=workout.get("altitude"),
        heart_rate=workout.get("heart_rate"),
        latitude=workout.get("latitude"),
        longitude=workout.get("longitude"),
        name=f"{name}-{workout.get('id', '')}".rstrip("-"),
        sport=str(workout.get("sport", "")),
        gender=str(workout.get("gender", "unknown")),
        source_format="endomondo",
    )


def iter_endomondo(path: str | Path) -> Iterator[Recording]:
    """Every workout of an Endomondo FitRec JSON-lines file (`endomondoHR.json`), one `Recording` each."""
    path = Path(path)
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                workout = _endomondo_line(line)
            except (ValueError, RecursionError):
                raise InputError(
                    f"Line {number} of {path.name!r} is not a FitRec workout record; keep one JSON object per line."
                ) from None
            yield endomondo_recording(workout, name=path.stem)


def read_endomondo(path: str | Path) -> Recording:
    """The first workout of an Endomondo FitRec JSON-lines file."""
    path = check_file(path)
    first = next(iter_endomondo(path), None)
    if first is None:
        raise InputError(f"File {path.name!r} holds no workout lines; keep one FitRec JSON object per line.")
    return first


def read_workout(path: str | Path, *, fs: float | None = None, extra_files: tuple = ()) -> Recording:
    """Read a GPX, TCX, FIT or Endomondo JSON-lines workout by its suffix (`fs` and `extra_files` are not used)."""
    path = check_file(path)
    readers = {".gpx": read_gpx, ".tcx": read_tcx, ".fit": read_fit, ".json": read_endomondo, ".jsonl": read_endomondo}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise UnsupportedFormatError(
            f"File {path.name!r} has an unsupported type {path.suffix!r}; upload a {ACCEPTED} file."
        )
    return reader(path)
