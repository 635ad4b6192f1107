"""Running heart-rate Space: upload a run (GPX, TCX, FIT); see its predicted heart-rate curve beside the recorded
one, personalised by the run's own first minutes or a runner profile fitted on earlier runs."""

import json
from pathlib import Path

import gradio as gr

from core import get_task
from core.downloads import downloads, text_download, write_figure_html
from core.hr.render import animate_result, plot_result, samples_frame
from core.predictor import read_metrics
from core.readers.workouts import WORKOUT_SUFFIXES
from core.space import (
    download_box,
    examples_of,
    guard,
    json_api,
    lazy_demo,
    run_on,
    serve,
    space_models,
    split_upload,
    standalone_demo,
)
from core.tasks import import_object

TASK = get_task("hr")
MODELS = space_models("hr")
MODEL = MODELS[TASK.variant()]  # the default variant, described on the page


@guard
def predict_run(file, calibration_minutes, profile, resting_hr, max_hr, progress=gr.Progress()):
    """Predict the heart rate of the uploaded run; returns summary, plot, animated replay, per-step table, downloads."""
    main, _ = split_upload(file)
    progress(0.05, desc="Reading the file")
    recording = TASK.read(main)
    result = TASK.run(
        recording,
        MODELS.__getitem__,
        calibration_minutes=calibration_minutes or None,
        profile=split_upload(profile)[0] if profile else None,
        resting_hr=resting_hr or None,
        max_hr=max_hr or None,
        progress=progress,
    )
    figure, table = plot_result(result), samples_frame(result)
    replay = animate_result(result)
    files = downloads(result, table, main, figure)
    replay_file = Path(files[0]).with_name(Path(files[0]).stem + "_replay.html")
    write_figure_html(replay, replay_file)
    return f"**{result.summary()}**", figure, replay, table, files + [str(replay_file)]


@guard
def fit_profile(files, progress=gr.Progress()):
    """Fit a runner profile on earlier runs with heart rate; returns its summary and the JSON file to keep."""
    paths = [split_upload(file)[0] for file in files or []]
    if not paths:
        raise gr.Error("Upload one or more earlier runs with heart rate to fit a profile.")
    profile = import_object(TASK.extra["profile"])(MODEL, [TASK.read(path) for path in paths], progress=progress)
    path = text_download("runner_profile.json", json.dumps(profile, indent=1))
    summary = (
        f"**Profile from {len(paths)} run(s), {profile['recorded_steps']} steps with heart rate: level "
        f"{profile['level_bpm']:+.1f} bpm, gain {profile['gain']:.2f}** (MAE on these runs "
        f"{profile['fit_mae_before']:.1f} -> {profile['fit_mae_after']:.1f} bpm). "
        "Download it to use next time; it is now set as this page's profile."
    )
    return summary, path, path


AUTO_CALIBRATION_MINUTES = 10
"""The page calibrates on a run's own first 10 minutes by default (the calibrated protocol's setting); a run without
heart rate there is predicted uncalibrated, and the summary says so."""
EXAMPLES = [[str(path), AUTO_CALIBRATION_MINUTES] for path in TASK.examples] + [[str(TASK.examples[0]), 0]]
EXAMPLE_LABELS = [f"{path.name}, calibrated on its own first minutes" for path in TASK.examples] + [
    f"{TASK.examples[0].name}, uncalibrated"
]
MODEL_DESCRIPTIONS = {
    "lstm": "2-layer LSTM on 14 speed/altitude features (the SUB3 v2 design)",
    "physio": "a first-order heart-rate response to 14 speed/altitude features plus a 2-layer LSTM residual",
}
test_mae = MODEL.metrics.get("test", {}).get("mae")
# a run calibrated on its own first 10 minutes is served by the LSTM trained for that (core.hr.pipeline.choose_variant)
calibrated_mae = read_metrics(TASK.checkpoint("lstm-cal")).get("test", {}).get("calibration", {}).get("mae_after")
PEAK_CHECK = MODEL.metrics.get("personalisation", {}).get("own_peak_check")

TITLE = "Running heart rate - PhysioSpaces"


def build() -> None:
    """The Space's components and events, in the caller's Blocks: its own page, or a tab of the hub."""
    gr.Markdown(
        f"## {TASK.title}\n{TASK.summary}\n\n"
        "Heart rate depends on the runner as much as on the pace, so this page is **personal by design**: a run with "
        "heart rate calibrates itself on its own first minutes (the warm-up skipped), and a **runner profile** fitted "
        "on your earlier runs carries your level to runs without heart rate. Without either, the prediction comes "
        "with the band that 80 % of unseen runners' heart rates fell in. Model: "
        f"{MODEL_DESCRIPTIONS[MODEL.arch]}"
        + (f"; test MAE on unseen runners {test_mae:.1f} bpm" if test_mae else "")
        + (
            f", {calibrated_mae:.1f} bpm after a 10-minute calibration (with the LSTM trained for it)"
            if calibrated_mae
            else ""
        )
        + "; a research demo, not a medical device."
    )
    with gr.Row():
        with gr.Column(scale=1):
            file = gr.File(label="Run file (GPX, TCX, FIT or FitRec JSON)", file_types=list(WORKOUT_SUFFIXES))
            calibration = gr.Number(
                label="Calibrate on the run's own first minutes of heart rate (0 = off)",
                value=AUTO_CALIBRATION_MINUTES,
                minimum=0,
            )
            profile = gr.File(label="Runner profile (JSON, optional)", file_types=[".json"])
            with gr.Accordion("Make a runner profile from earlier runs", open=False):
                earlier = gr.File(
                    label="Earlier runs with heart rate", file_count="multiple", file_types=list(WORKOUT_SUFFIXES)
                )
                gr.Markdown(
                    "The same from the command line: `python -m core profile hr run1.gpx run2.fit > profile.json`, "
                    "then `python -m core predict hr run.gpx --option profile=profile.json`."
                )
                fit_button = gr.Button("Fit my profile")
                profile_summary = gr.Markdown()
                profile_download = gr.File(label="Your profile (keep it for next time)", interactive=False)
            with gr.Accordion("Resting and peak heart rate", open=False):
                if PEAK_CHECK:
                    gr.Markdown(
                        f"Measured on {PEAK_CHECK['runs']} runs of runners the model never saw: their own peak (the "
                        f"99th percentile of their other runs) took the MAE from {PEAK_CHECK['mae_model']:.1f} to "
                        f"{PEAK_CHECK['mae_own_peak']:.1f} bpm; a profile does better. No resting heart rate was "
                        "recorded, so its effect is unmeasured."
                    )
                resting = gr.Number(label="Resting heart rate (bpm; 0 = not given)", value=None, minimum=0)
                maximum = gr.Number(
                    label="Peak heart rate in your hard runs (bpm; 0 = not given)", value=None, minimum=0
                )
            button = gr.Button("Predict heart rate", variant="primary")
            examples = examples_of(
                TASK,
                [file, calibration],
                EXAMPLES,
                example_labels=EXAMPLE_LABELS,
                label="Real runs (MIT/BSD-licensed test files)",
            )
        with gr.Column(scale=2):
            summary = gr.Markdown()
            plot = gr.Plot(label="Heart rate with its band, speed and altitude, pauses")
    replay = gr.Plot(label="Replay of the run (press Play or drag the slider)")
    table = gr.Dataframe(label="Every 5 s step", interactive=False, max_height=300)
    outputs = [summary, plot, replay, table, download_box()]
    inputs = [file, calibration, profile, resting, maximum]
    run_on(button, predict_run, inputs, outputs, api_name="predict", examples=examples)
    fit_button.click(fit_profile, [earlier], [profile_summary, profile_download, profile], api_name="fit_profile")
    json_api(TASK, MODELS)


__getattr__ = lazy_demo(build, TITLE)  # `demo`, built on first access

if __name__ == "__main__":
    serve(standalone_demo(build, TITLE), [(TASK, MODELS)])
