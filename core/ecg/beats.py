"""Heartbeats from an ECG lead: R-peak detection, Kachuee et al. (2018) segmentation, RR features, AAMI labels."""
from __future__ import annotations

import numpy as np

from core.errors import ConfigError, InputError, NoBeatsFoundError, SignalTooShortError
from core.signals import ECG_FS_RANGE, check_fs, signal_resample

BEAT_FS = 125.0
BEAT_LENGTH = 187
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
PEAK_METHODS = ("neurokit", "xqrs")


def aami_class(symbol: str) -> str | None:
    """AAMI class of a MIT-BIH beat symbol, or None for non-beat annotations."""
    return AAMI_MAP.get(symbol)


def ecg_peaks(ecg: np.ndarray, fs: float, *, method: str = "neurokit") -> np.ndarray:
    """R-peak sample indices of one ECG lead.

    fs: sampling rate in Hz (50-2000). method: "neurokit" (NeuroKit2, fast) or "xqrs" (wfdb's XQRS, slower).
    """
    fs = check_fs(fs, ECG_FS_RANGE, "ECG")
    ecg = np.asarray(ecg, dtype=float)
    if ecg.ndim != 1:
        raise InputError(f"ecg_peaks takes one lead (a 1-D array), got shape {ecg.shape}; pick one column.")
    if len(ecg) < 2 * fs:
        raise SignalTooShortError(
            f"The ECG is {len(ecg) / fs:.2f} s long; beat detection needs at least 2 s (two beats), so upload a longer strip."
        )
    if np.ptp(ecg) == 0 or np.nanstd(ecg) < 1e-9:
        raise NoBeatsFoundError("The ECG is a flat line, so no beats can be found; check the lead and the electrode contact.")
    if method == "neurokit":
        import neurokit2 as nk

        cleaned = nk.ecg_clean(ecg, sampling_rate=fs, method="neurokit")
        peaks = nk.ecg_findpeaks(cleaned, sampling_rate=fs, method="neurokit")["ECG_R_Peaks"]
    elif method == "xqrs":
        from wfdb import processing

        peaks = processing.xqrs_detect(ecg, fs=fs, verbose=False)
    else:
        raise ConfigError(f"Unknown R-peak method {method!r}; accepted methods are {list(PEAK_METHODS)}.")
    peaks = np.unique(np.asarray(peaks, dtype=int))
    if len(peaks) < 2:
        raise NoBeatsFoundError(
            f"Only {len(peaks)} beat(s) were found in {len(ecg) / fs:.1f} s of ECG; check the sampling rate and that the file holds an ECG lead."
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


def ecg_segment(ecg: np.ndarray, fs: float, peaks: np.ndarray) -> np.ndarray:
    """(n, 187) beats in the manner of Kachuee et al. (2018), one per peak.

    The lead is resampled to 125 Hz and cut into 10 s windows; each window is scaled to [0, 1]; each beat runs
    from its R-peak for 1.2 times the window's median RR interval and is zero-padded to 187 samples.
    """
    fs = check_fs(fs, ECG_FS_RANGE, "ECG")
    x = signal_resample(np.asarray(ecg, dtype=float), fs, BEAT_FS)
    p = np.clip(np.round(np.asarray(peaks) * BEAT_FS / fs).astype(int), 0, len(x) - 1)
    if len(p) < 2:
        raise SignalTooShortError("Segmentation needs at least two beats; upload a longer strip.")
    window = int(WINDOW_S * BEAT_FS)
    window_of_beat = p // window
    global_rr = float(np.median(np.diff(p)))
    beats = np.zeros((len(p), BEAT_LENGTH), dtype=np.float32)
    for w in np.unique(window_of_beat):
        members = np.flatnonzero(window_of_beat == w)
        rr = np.diff(p[members])
        period = float(np.median(rr)) if len(rr) else global_rr
        span = int(round(1.2 * period))
        start, stop = w * window, min(len(x), max((w + 1) * window, p[members[-1]] + span))
        lo, hi = x[start:stop].min(), x[start:stop].max()
        scale = hi - lo if hi > lo else 1.0
        for i in members:
            seg = (x[p[i] : min(p[i] + span, len(x))][:BEAT_LENGTH] - lo) / scale
            beats[i, : len(seg)] = seg
    return beats
