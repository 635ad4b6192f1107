"""ECG arrhythmia Space: upload an ECG strip, a WFDB record (with its annotation file, to be scored against it), an
EDF file, an Apple Watch ECG export or Kaggle-style beat rows; every beat is found and labelled, with the rhythm."""

import gradio as gr

from core import get_task
from core.downloads import downloads
from core.ecg.render import beats_frame, counts_frame, plot_result, rhythm_frame, scoring_frame
from core.errors import PhysioError
from core.space import (
    WFDB_FILE_TYPES,
    download_box,
    example_uploads,
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

TASK = get_task("ecg")
MODELS = space_models("ecg")


AUTOMATIC = "automatic"


@guard
def classify(files, fs, lead=AUTOMATIC, progress=gr.Progress()):
    """Classify every beat of the uploaded ECG; returns plot, summary, counts, beat table, downloads, rhythm table
    and the scoring against an uploaded annotation file."""
    main, extras = split_upload(files)
    progress(0.02, desc="Reading the file")
    data = TASK.read(main, fs=fs or None, extra_files=extras)
    options = {} if lead in (None, "", AUTOMATIC) else {"lead": lead}
    result = TASK.run(data, MODELS.__getitem__, progress=progress, **options)
    figure, table = plot_result(result), beats_frame(result)
    files = downloads(result, table, main, figure)
    return (
        figure,
        f"**{result.summary()}**",
        counts_frame(result),
        table,
        files,
        rhythm_frame(result),
        scoring_frame(result),
    )


def leads_of(files, fs):
    """The lead choices of an upload: automatic, then each of its leads (none for beat rows or an unreadable file,
    which the run reports)."""
    try:
        main, extras = split_upload(files)
        channels = getattr(TASK.read(main, fs=fs or None, extra_files=extras), "channels", ())
    except PhysioError:
        channels = ()
    return gr.Dropdown(choices=[AUTOMATIC, *channels], value=AUTOMATIC)


EXAMPLES = [[upload] for upload in example_uploads(TASK)]

TITLE = "ECG arrhythmia - PhysioSpaces"


def build() -> None:
    """The Space's components and events, in the caller's Blocks: its own page, or a tab of the hub."""
    gr.Markdown(
        f"## {TASK.title}\n{TASK.summary}\n\n"
        "Upload a **CSV** (one column per lead, with a time column or a `# fs=360` first line, or give the rate "
        "below), a **WFDB record** (select the `.hea` and `.dat` together; add its annotation file, e.g. `.atr`, and "
        "the beats are scored against it), an **EDF/EDF+** file, an **Apple Watch ECG export** (the CSV of the Health "
        "app), or **beat rows** as in the Kaggle heartbeat CSVs (187 values per row at 125 Hz). The lead most like "
        "the model's training lead (MLII) is used unless you choose one; the summary says which and why. A research "
        "demo, not a medical device."
    )
    with gr.Row():
        with gr.Column(scale=1):
            files = gr.File(
                label="ECG file(s)", file_count="multiple", file_types=[*WFDB_FILE_TYPES, ".edf", ".qrs", ".ann"]
            )
            fs = gr.Number(
                label="Sampling rate in Hz (0 = read it from the file; needed only for CSVs that do not state it)",
                value=None,
                minimum=0,
            )
            lead = gr.Dropdown(
                [AUTOMATIC], value=AUTOMATIC, label="Lead (automatic: the most MLII-like)", allow_custom_value=True
            )
            button = gr.Button("Find and classify beats", variant="primary")
            examples = examples_of(TASK, [files], EXAMPLES, label="Real MIT-BIH excerpts")
        with gr.Column(scale=2):
            summary = gr.Markdown(line_breaks=True)  # the summary's lines: beats, rhythm, scoring
            plot = gr.Plot(label="Beats by class")
            counts = gr.Dataframe(label="Beats per class", interactive=False)
            rhythm = gr.Dataframe(label="Ectopic runs, bigeminy and trigeminy", interactive=False, max_height=240)
    scoring = gr.Dataframe(
        label="Against the uploaded annotation file: reference (rows) x predicted (columns), Se and +P per class",
        interactive=False,
    )
    table = gr.Dataframe(label="Every beat", interactive=False, max_height=320)
    outputs = [plot, summary, counts, table, download_box(), rhythm, scoring]
    run_on(button, classify, [files, fs, lead], outputs, api_name="classify", examples=examples, files=files)
    files.change(leads_of, [files, fs], lead, api_visibility="undocumented")
    json_api(TASK, MODELS)


__getattr__ = lazy_demo(build, TITLE)  # `demo`, built on first access

if __name__ == "__main__":
    serve(standalone_demo(build, TITLE), [(TASK, MODELS)])
