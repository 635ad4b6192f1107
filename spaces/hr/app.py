"""Running heart-rate Space: upload a run (GPX, TCX, FIT);
see its predicted heart-rate curve beside the recorded one."""

import gradio as gr

from core import get_task
from core.hr.render import curve_frame, plot_result, samples_frame
from core.readers.workouts import WORKOUT_SUFFIXES
from core.space import (
    LAUNCH_OPTIONS,
    QUEUE_OPTIONS,
    download_box,
    downloads,
    examples_of,
    guard,
    json_api,
    lazy_demo,
    run_on,
    space_models,
    split_upload,
    standalone_demo,
)

TASK = get_task("hr")
MODELS = space_models("hr")
MODEL = MODELS[TASK.variant()]  # the default variant, described on the page


@guard
def predict_run(file, calibration_minutes, resting_hr, max_hr, progress=gr.Progress()):
    """Predict the heart rate of the uploaded run; returns summary, plot, interactive curve and per-step table."""
    main, _ = split_upload(file)
    progress(0.05, desc="Reading the file")
    recording = TASK.read(main)
    result = TASK.run(
        recording,
        MODELS.__getitem__,
        calibration_minutes=calibration_minutes or None,
        resting_hr=resting_hr or None,
        max_hr=max_hr or None,
        progress=progress,
    )
    figure, table = plot_result(result), samples_frame(result)
    return f"**{result.summary()}**", figure, curve_frame(result), table, downloads(result, table, main, figure)


CALIBRATED, CALIBRATION_MINUTES = (
    next(path for path in TASK.examples if path.suffix == ".tcx"),
    6,
)  # a run with heart rate
EXAMPLES = [[str(path), 0] for path in TASK.examples] + [[str(CALIBRATED), CALIBRATION_MINUTES]]
EXAMPLE_LABELS = [path.name for path in TASK.examples] + [
    f"{CALIBRATED.name}, calibrated on its first {CALIBRATION_MINUTES} minutes"
]
MODEL_DESCRIPTIONS = {
    "lstm": "2-layer LSTM on 14 speed/altitude features (the SUB3 v2 design)",
    "physio": "a first-order heart-rate response to 14 speed/altitude features plus a 2-layer LSTM residual",
}
test_mae = MODEL.metrics.get("test", {}).get("mae")

TITLE = "Running heart rate - PhysioSpaces"


def build() -> None:
    """The Space's components and events, in the caller's Blocks: its own page, or a tab of the hub."""
    gr.Markdown(
        f"## {TASK.title}\n{TASK.summary}\n\n"
        "Upload a **GPX**, **TCX** or **FIT** file of a run (heart rate optional), or an Endomondo FitRec JSON line. "
        "Personalise with a few calibration minutes from the start of the same run, or your resting heart rate and the "
        f"peak you reach in hard runs. Model: {MODEL_DESCRIPTIONS[MODEL.arch]}"
        + (f", test MAE {test_mae:.1f} bpm on unseen runners" if test_mae else "")
        + "; a research demo, not a medical device."
    )
    with gr.Row():
        with gr.Column(scale=1):
            file = gr.File(label="Run file", file_types=list(WORKOUT_SUFFIXES))
            calibration = gr.Number(
                label="Calibration: minutes of recorded heart rate from the start (0 = off)", value=0, minimum=0
            )
            resting = gr.Number(label="Resting heart rate (bpm; 0 = not given)", value=None, minimum=0)
            maximum = gr.Number(label="Peak heart rate in your hard runs (bpm; 0 = not given)", value=None, minimum=0)
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
            plot = gr.Plot(label="Heart rate, speed and altitude")
    curve = gr.LinePlot(x="minute", y="bpm", color="series", label="Heart rate (interactive)", height=260)
    table = gr.Dataframe(label="Every 5 s step", interactive=False, max_height=300)
    outputs = [summary, plot, curve, table, download_box()]
    run_on(button, predict_run, [file, calibration, resting, maximum], outputs, api_name="predict", examples=examples)
    json_api(TASK, MODELS)


__getattr__ = lazy_demo(build, TITLE)  # `demo`, built on first access

if __name__ == "__main__":
    standalone_demo(build, TITLE).queue(**QUEUE_OPTIONS).launch(**LAUNCH_OPTIONS)
