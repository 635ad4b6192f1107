"""PhysioSpaces explorer (Streamlit): leaderboard, dataset browser and model cards.
`streamlit run spaces/explorer/app.py`."""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import streamlit as st

sys.path.insert(0, str(Path(__file__).parent))  # the sibling modules, whether run here or from a staged Space folder
from browse import browse  # noqa: E402
from leaderboard import measured, references  # noqa: E402

from core import get_task, list_tasks  # noqa: E402
from core.modelcard import current_card  # noqa: E402

st.set_page_config(page_title="PhysioSpaces explorer", layout="wide")
st.title("PhysioSpaces explorer")
leaderboard_tab, data_tab, cards_tab = st.tabs(["Leaderboard", "Datasets", "Model cards"])

with leaderboard_tab:
    st.caption(
        "Our test metrics as measured by each checkpoint's training command, beside published results. "
        "Protocols differ (intra- vs inter-patient, other subsets): compare within a protocol only."
    )
    for name in list_tasks():
        st.subheader(get_task(name).title)
        st.dataframe(measured(name), hide_index=True)
        st.dataframe(references(name), hide_index=True)


@st.cache_resource(show_spinner="Loading the dataset")
def _examples(name: str):
    """The task's browsable sample, or why it cannot be loaded here; a failure is cached like a result, so the Hub
    is asked once per task, not on every click."""
    try:
        return browse(name), None
    except Exception as exc:  # absent locally and the Hub unreachable: say so instead of failing the page
        return None, f"{type(exc).__name__}: {exc}"


@st.fragment
def dataset_browser():
    """Loaded when a task is chosen (not at the first paint), rerun alone when its controls change."""
    name = st.selectbox(
        "Task",
        [n for n in list_tasks() if get_task(n).explore],
        index=None,
        placeholder="Choose a task to load its dataset",
        format_func=lambda n: get_task(n).title,
    )
    if name is None:
        return
    data, problem = _examples(name)
    if problem:
        st.warning(f"The {name} dataset cannot be loaded here ({problem}).")
        return
    st.caption(f"Source: {data.source}; {len(data.frame)} examples.")
    groups = sorted(data.frame["group"].unique().tolist())
    chosen = st.multiselect(f"Filter by {data.group_name}", groups)
    frame = data.frame[data.frame["group"].isin(chosen)] if chosen else data.frame
    balance = frame["label"].value_counts().rename_axis("label").reset_index(name="examples")
    st.bar_chart(balance, x="label", y="examples")
    st.dataframe(balance, hide_index=True)
    labels = balance["label"].tolist()
    if labels:
        figure, axes = plt.subplots(1, len(labels), figsize=(3.2 * len(labels), 2.4), squeeze=False)
        for axis, label in zip(axes[0], labels):
            signal = data.signal(int(frame.index[frame["label"] == label][0]))
            t = np.arange(len(signal)) / data.fs if data.fs else np.arange(len(signal))
            axis.plot(t, signal, linewidth=0.8)
            axis.set_title(str(label), fontsize=9)
            axis.set_xlabel("s" if data.fs else "sample")
        axes[0][0].legend(data.channels, fontsize=7)
        figure.tight_layout()
        st.pyplot(figure)
        plt.close(figure)


with data_tab:
    dataset_browser()

with cards_tab:
    options = [
        (n, v)
        for n in list_tasks()
        for v, folder in get_task(n).checkpoints.items()
        if (folder / "README.md").is_file()
    ]
    task_name, variant = st.selectbox("Model", options, format_func=lambda o: f"{get_task(o[0]).title} - {o[1]}")
    card = current_card(get_task(task_name), variant)
    front, _, body = card.partition("\n---\n")
    with st.expander("Metadata"):
        st.code(front.removeprefix("---\n"), language="yaml")
    st.markdown(body)
