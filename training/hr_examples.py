"""Cut the heart-rate Space examples and test fixtures from MIT-licensed runs: `python -m training.hr_examples`.

Writers for GPX (Garmin TrackPointExtension heart rate), TCX, FIT (with fit-tool) and FitRec JSON lines live here
so that the tests can build bad inputs in the same real formats.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from core.hr.data import load_workouts
from core.tasks import ROOT

EXAMPLES = {  # workout_id -> (file name, keep heart rate): MIT-licensed runs of test runners (user protocol)
    20: ("runpandas_run_53min.gpx", True),
    19: ("runpandas_garmin_14min.tcx", True),
    83: ("fit_file_parser_28min_no_hr.gpx", False),
}
FIXTURE_WORKOUT = 19
FIXTURE_POINTS = 80


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _present(value) -> bool:
    return value is not None and np.isfinite(value)


def write_gpx(
    path: Path, time_s, latitude, longitude, altitude_m=None, heart_rate=None, *, sport: str = "running"
) -> Path:
    """A GPX 1.1 track; heart rate goes in the Garmin TrackPointExtension (`gpxtpx:hr`), as Garmin and Strava write
    it."""
    n = len(time_s)
    altitude_m = [None] * n if altitude_m is None else altitude_m
    heart_rate = [None] * n if heart_rate is None else heart_rate
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="PhysioSpaces" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">',
        f"<trk><name>{path.stem}</name><type>{sport}</type><trkseg>",
    ]
    for t, lat, lon, alt, hr in zip(time_s, latitude, longitude, altitude_m, heart_rate):
        point = f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}">'
        if _present(alt):
            point += f"<ele>{alt:.1f}</ele>"
        point += f"<time>{_iso(t)}</time>"
        if _present(hr):
            point += (
                f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{hr:.0f}</gpxtpx:hr>"
                "</gpxtpx:TrackPointExtension></extensions>"
            )
        lines.append(point + "</trkpt>")
    lines.append("</trkseg></trk></gpx>")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_tcx(
    path: Path,
    time_s,
    latitude=None,
    longitude=None,
    altitude_m=None,
    heart_rate=None,
    speed_kmh=None,
    *,
    sport: str = "Running",
) -> Path:
    """A TCX activity with one lap; speed goes in the `ns3:TPX/Speed` extension in m/s."""
    n = len(time_s)
    columns = [[None] * n if c is None else c for c in (latitude, longitude, altitude_m, heart_rate, speed_kmh)]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">',
        f'<Activities><Activity Sport="{sport}"><Id>{_iso(time_s[0])}</Id><Lap StartTime="{_iso(time_s[0])}"><Track>',
    ]
    for t, lat, lon, alt, hr, speed in zip(time_s, *columns):
        point = f"<Trackpoint><Time>{_iso(t)}</Time>"
        if _present(lat) and _present(lon):
            point += (
                f"<Position><LatitudeDegrees>{lat:.7f}</LatitudeDegrees>"
                f"<LongitudeDegrees>{lon:.7f}</LongitudeDegrees></Position>"
            )
        if _present(alt):
            point += f"<AltitudeMeters>{alt:.1f}</AltitudeMeters>"
        if _present(hr):
            point += f"<HeartRateBpm><Value>{hr:.0f}</Value></HeartRateBpm>"
        if _present(speed):
            point += f"<Extensions><ns3:TPX><ns3:Speed>{speed / 3.6:.3f}</ns3:Speed></ns3:TPX></Extensions>"
        lines.append(point + "</Trackpoint>")
    lines.append("</Track></Lap></Activity></Activities></TrainingCenterDatabase>")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_fit(path: Path, time_s, latitude, longitude, altitude_m, heart_rate, speed_kmh) -> Path:
    """A FIT activity (file_id, sport = running, record messages) encoded with fit-tool."""
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.record_message import RecordMessage
    from fit_tool.profile.messages.sport_message import SportMessage
    from fit_tool.profile.profile_type import FileType, Manufacturer, Sport

    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.time_created = round(time_s[0] * 1000)
    file_id.serial_number = 1
    builder.add(file_id)
    sport = SportMessage()
    sport.sport = Sport.RUNNING
    builder.add(sport)
    for t, lat, lon, alt, hr, speed in zip(time_s, latitude, longitude, altitude_m, heart_rate, speed_kmh):
        record = RecordMessage()
        record.timestamp = round(t * 1000)
        record.position_lat, record.position_long = float(lat), float(lon)
        record.altitude = float(alt)
        record.heart_rate = int(round(hr))
        record.speed = float(speed) / 3.6
        builder.add(record)
    builder.build().to_file(str(path))
    return path


def write_endomondo(path: Path, workouts: list[dict]) -> Path:
    """FitRec JSON lines, one workout dict per line."""
    path.write_text("".join(json.dumps(w) + "\n" for w in workouts))
    return path


def _columns(workout, keep: slice = slice(None)) -> dict:
    """Absolute times (Unix s) and the channels of a parquet workout, over `keep`."""
    recording = workout.recording
    return {
        "time_s": workout.start_time + recording.time[keep],
        **{c: recording.channel(c)[keep] for c in ("latitude", "longitude", "altitude_m", "heart_rate", "speed_kmh")},
    }


def main() -> None:
    by_id = {w.workout_id: w for w in load_workouts()}
    examples = ROOT / "spaces" / "hr" / "examples"
    fixtures = ROOT / "tests" / "fixtures"
    examples.mkdir(parents=True, exist_ok=True)
    for workout_id, (name, keep_hr) in EXAMPLES.items():
        w = by_id[workout_id]
        c = _columns(w)
        hr = c["heart_rate"] if keep_hr else None
        if name.endswith(".gpx"):
            write_gpx(examples / name, c["time_s"], c["latitude"], c["longitude"], c["altitude_m"], hr)
        else:
            write_tcx(examples / name, c["time_s"], c["latitude"], c["longitude"], c["altitude_m"], hr, c["speed_kmh"])
    (examples / "README.md").write_text(
        "Real runs for the Space, written from rows of `running_hr/running_workouts.parquet` by "
        "`python -m training.hr_examples`; all MIT-licensed (runpandas example session, fit-file-parser test files) "
        "and from runners in the test split (unseen in training). "
        + ", ".join(
            f"`{name}`: workout {wid} ({by_id[wid].source_file}, "
            f"{by_id[wid].license}{'' if hr else ', heart rate removed'})"
            for wid, (name, hr) in EXAMPLES.items()
        )
        + ".\n"
    )

    # tiny fixtures: the first 80 points of one MIT-licensed run in every format
    w = by_id[FIXTURE_WORKOUT]
    c = _columns(w, slice(0, FIXTURE_POINTS))
    write_gpx(fixtures / "hr_run.gpx", c["time_s"], c["latitude"], c["longitude"], c["altitude_m"], c["heart_rate"])
    write_gpx(fixtures / "hr_run_nohr.gpx", c["time_s"], c["latitude"], c["longitude"], c["altitude_m"])
    write_tcx(
        fixtures / "hr_run.tcx",
        c["time_s"],
        c["latitude"],
        c["longitude"],
        c["altitude_m"],
        c["heart_rate"],
        c["speed_kmh"],
    )
    write_fit(
        fixtures / "hr_run.fit",
        c["time_s"],
        c["latitude"],
        c["longitude"],
        c["altitude_m"],
        c["heart_rate"],
        c["speed_kmh"],
    )
    write_endomondo(
        fixtures / "hr_run_endomondo.json",
        [
            {
                "id": w.workout_id,
                "userId": w.user,
                "gender": "male",
                "sport": "run",
                "timestamp": [round(float(t), 3) for t in c["time_s"]],
                "heart_rate": [float(h) for h in c["heart_rate"]],
                "speed": [round(float(s), 3) for s in c["speed_kmh"]],
                "altitude": [round(float(a), 1) for a in c["altitude_m"]],
            }
        ],
    )


if __name__ == "__main__":
    main()
