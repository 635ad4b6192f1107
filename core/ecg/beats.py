"""Heartbeats from an ECG lead: R-peak detection, Kachuee et al. (2018) segmentation, RR features, AAMI labels."""

from __future__ import annotations

import numpy as np

from core.errors import ConfigError, InputError, NoBeatsFoundError, SignalTooShortError
from core.signals import ECG_FS_RANGE, check_fs, signal_resample

BEAT_FS = 125.0
BEAT_LENGTH = 187
CONTEXT_LENGTH = 125
"""Longest pre-R context stored per beat (1 s at 125 Hz); a model uses the last `context_samples` of it."""
WINDOW_S = 10.0
AAMI_CLASSES = ("N", "S", "V", "F", "Q")
AAMI_MAP = {
    **dict.fromkeys("NLRej", "N"),
    **dict.fromkeys("AaJS", "S"),
    **dict.fromkeys("VE", "V"),
    "F": "F",
    **dict.fromkeys("/fQ", "Q"),
}
"""MIT-BIH beat symbol -> AAMI EC57 class (the 0-4 labels of the Kaggle heartbeat CSVs, in this order)."""
RR_FEATURES = ("pre_rr_ratio", "post_rr_ratio", "pre_rr_s", "post_rr_s", "rr_known")
PEAK_METHODS = ("searchback", "neurokit", "xqrs")
STRICT_GRADIENT, LENIENT_GRADIENT = 1.8, 1.3
"""Gradient thresholds of NeuroKit2's detector for the strict pass and the search-back pass."""
SEARCHBACK_GAP, REFRACTORY_S = 1.5, 0.3
SEARCHBACK_AMPLITUDE = 0.3


def aami_class(symbol: str) -> str | None:
    """AAMI class of a MIT-BIH beat symbol, or None for non-beat annotations."""
    return AAMI_MAP.get(symbol)


def _neurokit_peaks(ecg: np.ndarray, fs: float, gradient_threshold: float) -> np.ndarray:
    import neurokit2 as nk

    # on the raw lead: NeuroKit2's gradient detector does its own smoothing, and did better on MIT-BIH than after
    # ecg_clean
    peaks = nk.ecg_findpeaks(ecg, sampling_rate=fs, method="neurokit", gradthreshweight=gradient_threshold)[
        "ECG_R_Peaks"
    ]
    return np.asarray(peaks, dtype=int)


def _searchback_peaks(ecg: np.ndarray, fs: float) -> np.ndarray:
    """A strict pass, then RR gaps over 1.5x the local median RR filled from a lenient pass (Pan & Tompkins'
    search-back) with candidates that reach `SEARCHBACK_AMPLITUDE` of the strict beats' median QRS amplitude, so a
    genuine pause stays a pause."""
    from scipy.ndimage import maximum_filter1d, median_filter
    from scipy.signal import butter, sosfiltfilt

    strict = _neurokit_peaks(ecg, fs, STRICT_GRADIENT)
    lenient = _neurokit_peaks(ecg, fs, LENIENT_GRADIENT)
    if len(strict) < 3:
        return lenient
    rr = np.diff(strict).astype(float)
    local = median_filter(rr, size=9, mode="nearest")
    refractory = REFRACTORY_S * fs
    found = np.concatenate(
        [[]]
        + [
            lenient[(lenient > strict[i] + refractory) & (lenient < strict[i + 1] - refractory)]
            for i in np.flatnonzero(rr > SEARCHBACK_GAP * local)
        ]
    ).astype(int)
    if len(found):
        qrs_band = butter(2, [5.0, min(15.0, 0.45 * fs)], btype="band", fs=fs, output="sos")
        amplitude = maximum_filter1d(np.abs(sosfiltfilt(qrs_band, ecg)), size=int(0.1 * fs) + 1)
        found = found[amplitude[found] >= SEARCHBACK_AMPLITUDE * np.median(amplitude[strict])]
    return np.concatenate([strict, found])


def ecg_peaks(ecg: np.ndarray, fs: float, *, method: str = "searchback") -> np.ndarray:
    """R-peak sample indices of one ECG lead.

    fs: sampling rate in Hz (50-2000).
    method: "searchback" (NeuroKit2's gradient detector, strict, with search-back in long RR gaps; the default),
    "neurokit" (NeuroKit2's detector alone), or "xqrs" (wfdb's XQRS, much slower).
    """
    fs = check_fs(fs, ECG_FS_RANGE, "ECG")
    ecg = np.asarray(ecg, dtype=float)
    if ecg.ndim != 1:
        raise InputError(f"ecg_peaks takes one lead (a 1-D array), got shape {ecg.shape}; pick one column.")
    if len(ecg) < 2 * fs:
        raise SignalTooShortError(
            f"The ECG is {len(ecg) / fs:.2f} s long; beat detection needs at least 2 s (two beats), so upload a longer "
            "strip."
        )
    if np.ptp(ecg) == 0 or np.nanstd(ecg) < 1e-9:
        raise NoBeatsFoundError(
            "The ECG is a flat line, so no beats can be found; check the lead and the electrode contact."
        )
    # mirrored second at each end, so that beats in the detectors' start-up and wind-down windows are found too
    pad = min(int(fs), len(ecg) - 1)
    padded = np.pad(ecg, pad, mode="reflect")
    if method == "searchback":
        peaks = _searchback_peaks(padded, fs) - pad
    elif method == "neurokit":
        peaks = _neurokit_peaks(padded, fs, 1.5) - pad
    elif method == "xqrs":
        from wfdb import processing

        peaks = processing.xqrs_detect(ecg, fs=fs, verbose=False)
    else:
        raise ConfigError(f"Unknown R-peak method {method!r}; accepted methods are {list(PEAK_METHODS)}.")
    peaks = np.unique(np.asarray(peaks, dtype=int))
    peaks = peaks[(peaks >= 0) & (peaks < len(ecg))]
    if len(peaks) < 2:
        raise NoBeatsFoundError(
            f"Only {len(peaks)} beat(s) were found in {len(ecg) / fs:.1f} s of ECG; check the sampling rate and that "
            "the file holds an ECG lead."
        )
    return peaks


def rr_features(peaks: np.ndarray, fs: float, *, local_beats: int = 10) -> np.ndarray:
    """(n, 5) RR features per beat: pre/post RR over the local mean RR, pre/post RR in seconds, and a 1 'known' flag.

    The local mean is the mean RR over the `local_beats` beats centred on each beat.
    """
    rr = np.diff(np.asarray(peaks, dtype=float)) / fs
    if len(rr) == 0:
        raise SignalTooShortError("RR features need at least two beats; upload a longer strip.")
    pre = np.concatenate([[rr[0]], rr])
    post = np.concatenate([rr, [rr[-1]]])
    kernel = np.ones(local_beats) / local_beats
    padded = np.pad(pre, (local_beats // 2, local_beats - 1 - local_beats // 2), mode="edge")
    local = np.convolve(padded, kernel, mode="valid")
    return np.stack([pre / local, post / local, pre, post, np.ones_like(pre)], axis=1).astype(np.float32)


def unknown_rr(n: int) -> np.ndarray:
    """RR features for beats whose neighbours are unknown (a lone 187-sample beat): ratios 1, mean RR 0.8 s, flag 0."""
    return np.tile(np.array([1.0, 1.0, 0.8, 0.8, 0.0], dtype=np.float32), (n, 1))


def _beat_windows(ecg: np.ndarray, fs: float, peaks: np.ndarray):
    """The lead at 125 Hz, the peaks on its grid, and per 10 s window (beat indices, min, range, beat span)."""
    fs = check_fs(fs, ECG_FS_RANGE, "ECG")
    x = signal_resample(np.asarray(ecg, dtype=float), fs, BEAT_FS)
    p = np.clip(np.round(np.asarray(peaks) * BEAT_FS / fs).astype(int), 0, len(x) - 1)
    if len(p) < 2:
        raise SignalTooShortError("Segmentation needs at least two beats; upload a longer strip.")
    window = int(WINDOW_S * BEAT_FS)
    window_of_beat = p // window
    global_rr = float(np.median(np.diff(p)))
    windows = []
    for w in np.unique(window_of_beat):
        members = np.flatnonzero(window_of_beat == w)
        rr = np.diff(p[members])
        period = float(np.median(rr)) if len(rr) else global_rr
        span = int(round(1.2 * period))
        start, stop = w * window, min(len(x), max((w + 1) * window, p[members[-1]] + span))
        lo, hi = x[start:stop].min(), x[start:stop].max()
        windows.append((members, lo, hi - lo if hi > lo else 1.0, span))
    return x, p, windows


def ecg_cut(
    ecg: np.ndarray, fs: float, peaks: np.ndarray, *, context_samples: int = 0
) -> tuple[np.ndarray, np.ndarray | None]:
    """`ecg_segment`'s beats and, when `context_samples` > 0, `ecg_context`'s pre-R context, from one resampling of
    the lead (the serving path needs both)."""
    x, p, windows = _beat_windows(ecg, fs, peaks)
    beats = np.zeros((len(p), BEAT_LENGTH), dtype=np.float32)
    context = np.zeros((len(p), context_samples), dtype=np.float32) if context_samples else None
    for members, lo, scale, span in windows:
        for i in members:
            seg = (x[p[i] : min(p[i] + span, len(x))][:BEAT_LENGTH] - lo) / scale
            beats[i, : len(seg)] = seg
            if context is not None:
                before = np.clip((x[max(p[i] - context_samples, 0) : p[i]] - lo) / scale, 0.0, 1.0)
                context[i, context_samples - len(before) :] = before
    return beats, context


def ecg_segment(ecg: np.ndarray, fs: float, peaks: np.ndarray) -> np.ndarray:
    """(n, 187) beats in the manner of Kachuee et al. (2018), one per peak.

    The lead is resampled to 125 Hz and cut into 10 s windows; each window is scaled to [0, 1]; each beat runs
    from its R-peak for 1.2 times the window's median RR interval and is zero-padded to 187 samples.
    """
    return ecg_cut(ecg, fs, peaks)[0]


def ecg_context(ecg: np.ndarray, fs: float, peaks: np.ndarray, *, samples: int = CONTEXT_LENGTH) -> np.ndarray:
    """(n, samples) pre-R context of each beat: the `samples` 125 Hz samples before its R-peak (its P wave and the
    previous beat's end, which a Kachuee beat leaves out), scaled like the beat's own 10 s window and clipped to
    [0, 1]; zero-padded at the record's start. Beats without a known context (lone rows) get `unknown_context`."""
    return ecg_cut(ecg, fs, peaks, context_samples=samples)[1]


def unknown_context(n: int, samples: int = CONTEXT_LENGTH) -> np.ndarray:
    """Context for beats whose preceding signal is unknown (a lone 187-sample row): zeros, which training also shows
    the model, together with the unknown RR features, for a share of its beats."""
    return np.zeros((n, samples), dtype=np.float32)


def match_beats(reference: np.ndarray, detected: np.ndarray, fs: float, *, tolerance_s: float = 0.15) -> np.ndarray:
    """For each reference beat (sample positions, sorted), the index into sorted `detected` of its match, -1 if none:
    wfdb's annotation comparison (the MIT-BIH protocol's one-to-one matching) within `tolerance_s` seconds (150 ms)."""
    from wfdb.processing import compare_annotations  # imported on first use: the Spaces start faster

    reference, detected = np.asarray(reference, dtype=np.int64), np.asarray(detected, dtype=np.int64)
    if not len(reference) or not len(detected):
        return np.full(len(reference), -1, dtype=np.int64)
    window = int(np.floor(tolerance_s * fs + 1e-9)) + 1  # wfdb matches positions strictly closer than its window
    return np.asarray(compare_annotations(reference, detected, window).matching_sample_nums, dtype=np.int64)


def match_peaks(
    reference: np.ndarray, detected: np.ndarray, fs: float, *, tolerance_s: float = 0.15
) -> tuple[int, int, int]:
    """(true positives, false negatives, false positives) of `match_beats`."""
    detected = np.sort(np.asarray(detected))
    tp = int((match_beats(reference, detected, fs, tolerance_s=tolerance_s) >= 0).sum())
    return tp, len(reference) - tp, len(detected) - tp
