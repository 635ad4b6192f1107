"""Human activity recognition Space: upload a phone's accelerometer (+ gyroscope) CSV; every 2.56 s gets an activity."""

import gradio as gr

from core import get_task
from core.downloads import downloads
from core.har.render import bouts_frame, plot_result, shares_frame, windows_frame
from core.space import (
    download_box,
    examples_of,
    guard,
    json_api,
    lazy_demo,
    run_on,
    serve,
    space_models,
    standalone_demo,
)

TASK = get_task("har")
MODELS = space_models("har")


@guard
def recognise(file, acc_unit, gyro_unit, fs, placement="auto", progress=gr.Progress()):
    """Classify every window of the uploaded recording; returns plot, summary, activity shares, window table,
    downloads and the walking bouts' steps."""
    if not file:
        raise gr.Error("No file was uploaded; choose a CSV or click an example.", print_exception=False)
    progress(0.02, desc="Reading the file")
    data = TASK.read(getattr(file, "name", file), fs=fs or None)
    result = TASK.run(
        data, MODELS.__getitem__, acc_unit=acc_unit, gyro_unit=gyro_unit, placement=placement, progress=progress
    )
    figure, table = plot_result(result), windows_frame(result)
    name = getattr(file, "name", file)
    return (
        figure,
        f"**{result.summary()}**",
        shares_frame(result),
        table,
        downloads(result, table, name, figure),
        bouts_frame(result),
    )


TITLE = "Human activity recognition - PhysioSpaces"


def build() -> None:
    """The Space's components and events, in the caller's Blocks: its own page, or a tab of the hub."""
    gr.Markdown(
        f"## {TASK.title}\n{TASK.summary}\n\n"
        "Upload a **CSV** with a time column (seconds or milliseconds, 10-200 Hz, irregular steps allowed) and "
        "accelerometer columns `acc_x, acc_y, acc_z` (g or m/s², detected), optionally gyroscope `gyro_x, gyro_y, "
        "gyro_z`; or the **UCI HAR Dataset zip** (its test windows are classified and scored). Without a gyroscope the "
        "accelerometer-only model is used; it calibrates to the wearer: with at least 12 s of walking in the "
        "recording, every window is also read against that walking, which tells sitting from standing however the "
        "phone sits on the waist. Every walking bout gets its steps and cadence (peaks of the acceleration, checked "
        "against counted steps of phones in hand, pockets and bags). The phone's placement (waist, trouser pocket, "
        "hand, bag or other) is inferred from the recording's walking, or stated below: at the waist the six UCI HAR "
        "activities are told apart; elsewhere the timeline says walking or still, since postures and stairs cannot be "
        "told apart there; a recording that matches no known placement is flagged. A research demo."
    )
    with gr.Row():
        with gr.Column(scale=1):
            file = gr.File(label="Recording (CSV) or UCI HAR zip", file_types=[".csv", ".txt", ".zip"])
            acc_unit = gr.Dropdown(["auto", "g", "m/s^2"], value="auto", label="Accelerometer unit")
            gyro_unit = gr.Dropdown(["auto", "rad/s", "deg/s"], value="auto", label="Gyroscope unit")
            placement = gr.Dropdown(
                ["auto", "waist", "pocket", "hand", "bag"], value="auto", label="Where the phone was (auto: inferred)"
            )
            fs = gr.Number(
                label="Sampling rate in Hz (0 = read it from the time column; needed only for CSVs without one)",
                value=None,
                minimum=0,
            )
            button = gr.Button("Recognise activities", variant="primary")
            examples = examples_of(
                TASK,
                [file, acc_unit, gyro_unit],
                [[str(path), "auto", "auto"] for path in TASK.examples],
                label="Real UCI HAR test subjects (windows stitched back into recordings)",
            )
        with gr.Column(scale=2):
            summary = gr.Markdown()
            plot = gr.Plot(label="Signals and activity timeline")
            shares = gr.Dataframe(label="Share of time per activity", interactive=False)
            bouts = gr.Dataframe(label="Walking bouts: steps and cadence (steps/min)", interactive=False)
    table = gr.Dataframe(label="Every window", interactive=False, max_height=320)
    outputs = [plot, summary, shares, table, download_box(), bouts]
    run_on(
        button, recognise, [file, acc_unit, gyro_unit, fs, placement], outputs, api_name="recognise", examples=examples
    )
    json_api(TASK, MODELS)


__getattr__ = lazy_demo(build, TITLE)  # `demo`, built on first access

if __name__ == "__main__":
    serve(standalone_demo(build, TITLE), [(TASK, MODELS)])
