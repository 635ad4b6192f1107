"""ECG arrhythmia Space: upload an ECG strip, a WFDB record or Kaggle-style beat rows;
every beat is found and labelled."""

import gradio as gr

from core import get_task
from core.ecg.render import beats_frame, counts_frame, plot_result
from core.space import (
    LAUNCH_OPTIONS,
    QUEUE_OPTIONS,
    WFDB_FILE_TYPES,
    download_box,
    downloads,
    example_uploads,
    examples_of,
    guard,
    json_api,
    lazy_demo,
    run_on,
    space_models,
    split_upload,
    standalone_demo,
)

TASK = get_task("ecg")
MODELS = space_models("ecg")


@guard
def classify(files, fs, progress=gr.Progress()):
    """Classify every beat of the uploaded ECG; returns plot, summary, counts and beat table."""
    main, extras = split_upload(files)
    progress(0.02, desc="Reading the file")
    data = TASK.read(main, fs=fs or None, extra_files=extras)
    result = TASK.run(data, MODELS.__getitem__, progress=progress)
    figure, table = plot_result(result), beats_frame(result)
    return figure, f"**{result.summary()}**", counts_frame(result), table, downloads(result, table, main, figure)


EXAMPLES = [[upload] for upload in example_uploads(TASK)]

TITLE = "ECG arrhythmia - PhysioSpaces"


def build() -> None:
    """The Space's components and events, in the caller's Blocks: its own page, or a tab of the hub."""
    gr.Markdown(
        f"## {TASK.title}\n{TASK.summary}\n\n"
        "Upload a **CSV** (one column per lead, with a time column or a `# fs=360` first line, or give the rate "
        "below), a **WFDB record** (select the `.hea` and `.dat` together), or **beat rows** as in the Kaggle "
        "heartbeat CSVs (187 values per row at 125 Hz). Model: residual CNN with RR-interval features, trained on "
        "MIT-BIH; a research demo, not a medical device."
    )
    with gr.Row():
        with gr.Column(scale=1):
            files = gr.File(label="ECG file(s)", file_count="multiple", file_types=WFDB_FILE_TYPES)
            fs = gr.Number(
                label="Sampling rate in Hz (0 = read it from the file; needed only for CSVs that do not state it)",
                value=None,
                minimum=0,
            )
            button = gr.Button("Find and classify beats", variant="primary")
            examples = examples_of(TASK, [files], EXAMPLES, label="Real MIT-BIH excerpts")
        with gr.Column(scale=2):
            summary = gr.Markdown()
            plot = gr.Plot(label="Beats by class")
            counts = gr.Dataframe(label="Beats per class", interactive=False)
    table = gr.Dataframe(label="Every beat", interactive=False, max_height=320)
    outputs = [plot, summary, counts, table, download_box()]
    run_on(button, classify, [files, fs], outputs, api_name="classify", examples=examples, files=files)
    json_api(TASK, MODELS)


__getattr__ = lazy_demo(build, TITLE)  # `demo`, built on first access

if __name__ == "__main__":
    standalone_demo(build, TITLE).queue(**QUEUE_OPTIONS).launch(**LAUNCH_OPTIONS)
