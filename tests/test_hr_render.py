"""Heart-rate figures: the band, pauses and calibration window on the interactive plot, and the animated replay."""

from __future__ import annotations

import numpy as np
import pytest

from core.hr.pipeline import predict
from core.hr.render import ANIMATION_FRAMES, FRAME_POINTS, animate_result, plot_result, samples_frame
from core.readers.workouts import workout_recording


class ConstantModel:
    population_rest_hr, population_max_hr = 60.0, 190.0
    metrics = {
        "personalisation": {
            "calibration": {"start_min": 8, "end_min": 10, "weight": 1.0},
            "band": {"uncalibrated": {"low": -20.0, "high": 25.0}, "calibrated": {"low": -5.0, "high": 6.0}},
        }
    }

    def predict_run(self, features):
        return np.full(len(features), 140.0)


def paused_run():
    time_s = np.concatenate([np.arange(0.0, 900.0), np.arange(1200.0, 1800.0)])
    return workout_recording(
        time_s=time_s, speed_kmh=np.full(len(time_s), 10.0), heart_rate=np.full(len(time_s), 150.0)
    )


def test_plot_shows_band_recorded_predicted_and_shades_pauses_and_the_calibration_window():
    result = predict(ConstantModel(), paused_run(), calibration_minutes=10)
    figure = plot_result(result)
    names = [trace.name for trace in figure.data]
    assert names[1] == "80 % band (unseen runners after calibration)"
    assert {"model", "recorded", "predicted (personalised)", "speed (km/h)", "altitude (m)"} <= set(names)
    np.testing.assert_allclose(figure.data[0].y, result.hr_pred + 6.0)
    shapes = [(shape.x0, shape.x1) for shape in figure.layout.shapes]
    assert (pytest.approx(899 / 60), 20.0) in shapes and (8.0, 10.0) in shapes


def test_replay_has_frames_up_to_the_whole_run():
    result = predict(ConstantModel(), paused_run())
    figure = animate_result(result)
    assert (
        len(figure.frames) == ANIMATION_FRAMES and figure.layout.sliders[0].steps[-1].label == "29.9"
    )  # the last grid step, 1795 s
    last = figure.frames[-1].data[0].x  # thinned to FRAME_POINTS, ending at the last step
    assert len(last) <= FRAME_POINTS + 1 and last[-1] == result.time_s[-1] / 60 and last[0] == 0
    assert [trace.name for trace in figure.data] == ["predicted", "recorded"]
    assert len(samples_frame(result)) == len(result.time_s)
