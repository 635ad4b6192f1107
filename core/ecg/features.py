"""Per-beat features that carry over to a new patient: RR intervals relative to the patient's own rhythm, and
morphology relative to the patient's own dominant beat (de Chazal-style, measured at 360 Hz on a 0.5-40 Hz lead).

`ecg_beat_features(ecg, fs, peaks)` is the one feature path of training (at reference beats) and serving (at
detected R-peaks).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

FEATURE_FS = 360.0
PRE_S, POST_S = 0.25, 0.40
"""Beat window around the R-peak: the P wave before it, the T wave after it."""
POOL = 6
"""Samples averaged into one waveform feature (360 Hz / 6 = 60 Hz)."""
REALIGN_S = 0.04
"""A beat position is moved to the largest |signal| within this distance, so detected and annotated beats agree."""
LOCAL_BEATS = 10
"""Beats on each side of the local RR average."""
RHYTHM_BEATS = 20
"""Beats on each side of the rhythm-irregularity window."""
RECORD_SPAN_S = 150.0
"""Half-width of the running record-level RR mean."""
BAND_HZ = (0.5, 40.0)
EPS = 1e-6

_PRE, _POST = round(PRE_S * FEATURE_FS), round(POST_S * FEATURE_FS)

RR_NAMES = (
    "pre_rr_s",
    "post_rr_s",
    "pre2_rr_s",
    "local_mean_rr_s",
    "local_median_rr_s",
    "record_mean_rr_s",
    "pre_over_local_mean",
    "post_over_local_mean",
    "pre_over_local_median",
    "post_over_local_median",
    "pre_over_record_mean",
    "post_over_record_mean",
    "local_over_record_mean",
    "pre_over_post",
    "pre_over_pre2",
    "compensation_over_local_median",
    "local_rr_variation",
)
MORPHOLOGY_NAMES = (
    "corr_window",
    "corr_qrs",
    "corr_p",
    "corr_t",
    "qrs_energy_ratio",
    "r_amplitude",
    "qrs_max",
    "qrs_min",
    "qrs_peak_to_peak",
    "qrs_width_ms",
    "qrs_width_difference_ms",
    "rms_difference",
    "rms_difference_qrs",
    "rms_difference_p",
    "max_difference_t",
    "p_std",
    "p_std_ratio",
    "qrs_area_ratio",
    "corr_previous_beat",
    "corr_next_beat",
    "argmax_shift",
    "argmin_shift",
)
RHYTHM_NAMES = (
    "rhythm_irregularity",
    "rhythm_premature_share",
    "pre_over_previous3",
    "pre_over_rhythm_median",
    "post_over_rhythm_median",
    "compensatory_pause",
)
_WAVE_POINTS = (_PRE + _POST) // POOL
FEATURE_NAMES = (
    RR_NAMES
    + MORPHOLOGY_NAMES
    + tuple(f"wave_{i}" for i in range(_WAVE_POINTS))
    + tuple(f"wave_difference_{i}" for i in range(_WAVE_POINTS))
    + RHYTHM_NAMES
)


def _samples(seconds: float) -> int:
    return round(seconds * FEATURE_FS)


def ecg_feature_lead(ecg: np.ndarray, fs: float) -> np.ndarray:
    """The lead at `FEATURE_FS`, band-passed 0.5-40 Hz (`ecg` in any unit, sampled at `fs` Hz)."""
    from scipy.signal import butter, resample_poly, sosfiltfilt  # imported on first use: the Spaces start faster

    ecg = np.asarray(ecg, dtype=np.float64)
    if fs != FEATURE_FS:
        ratio = Fraction(FEATURE_FS / fs).limit_denominator(1000)
        ecg = resample_poly(ecg, ratio.numerator, ratio.denominator)
    band = butter(2, BAND_HZ, btype="band", fs=FEATURE_FS, output="sos")
    return sosfiltfilt(band, ecg) if len(ecg) > 15 else ecg - ecg.mean()


def _realign(lead: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    reach = _samples(REALIGN_S)
    peaks = np.clip(peaks, reach, max(len(lead) - reach - 1, reach))
    index = np.clip(peaks[:, None] + np.arange(-reach, reach + 1), 0, len(lead) - 1)
    return peaks + np.argmax(np.abs(lead[index]), axis=1) - reach


def _windows(lead: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    padded = np.pad(lead, (_PRE, _POST))
    return padded[(peaks + _PRE)[:, None] + np.arange(-_PRE, _POST)]


def _corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise correlation of `a` (n, k) with `b` (k,) or (n, k)."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=-1) + 1e-12)


def _qrs_width_ms(windows: np.ndarray) -> np.ndarray:
    """Span where |slope| exceeds a quarter of its maximum, within -120..+200 ms of the R-peak."""
    segment = windows[:, _PRE - _samples(0.12) : _PRE + _samples(0.2)]
    slope = np.abs(np.diff(segment, axis=1))
    steep = slope > 0.25 * (slope.max(axis=1, keepdims=True) + 1e-9)
    first = steep.argmax(axis=1)
    last = steep.shape[1] - 1 - steep[:, ::-1].argmax(axis=1)
    return (last - first) / FEATURE_FS * 1000


def _sliding(values: np.ndarray, half: int) -> np.ndarray:
    return np.lib.stride_tricks.sliding_window_view(np.pad(values, half, mode="edge"), 2 * half + 1)


def _running_mean(times: np.ndarray, values: np.ndarray, half_s: float) -> np.ndarray:
    """Mean of `values` over the beats within `half_s` seconds of each beat."""
    total = np.concatenate([[0.0], np.cumsum(values)])
    lo = np.searchsorted(times, times - half_s, "left")
    hi = np.searchsorted(times, times + half_s, "right")
    return (total[hi] - total[lo]) / np.maximum(hi - lo, 1)


def _rr_features(times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rr = np.diff(times)
    pre = np.concatenate([[rr[0]], rr])
    post = np.concatenate([rr, [rr[-1]]])
    pre2 = np.concatenate([[pre[0]], pre[:-1]])
    local = _sliding(pre, LOCAL_BEATS)
    local_mean, local_median = local.mean(axis=1), np.median(local, axis=1)
    record = _running_mean(times, pre, RECORD_SPAN_S)
    features = np.stack(
        [
            pre,
            post,
            pre2,
            local_mean,
            local_median,
            record,
            pre / local_mean,
            post / local_mean,
            pre / local_median,
            post / local_median,
            pre / record,
            post / record,
            local_mean / record,
            pre / (post + EPS),
            pre / (pre2 + EPS),
            (post - pre) / local_median,
            local.std(axis=1) / local_mean,
        ],
        axis=1,
    )
    return features, pre, post


def _rhythm_features(pre: np.ndarray, post: np.ndarray) -> np.ndarray:
    change = np.abs(np.diff(pre, prepend=pre[0]))
    window = _sliding(pre, RHYTHM_BEATS)
    median = np.median(window, axis=1)
    previous3 = np.median(np.stack([np.concatenate([[pre[0]] * k, pre[:-k]])[: len(pre)] for k in (1, 2, 3)]), axis=0)
    return np.stack(
        [
            _sliding(change, RHYTHM_BEATS).mean(axis=1) / median,
            (window / median[:, None] < 0.85).mean(axis=1),
            pre / previous3,
            pre / median,
            post / median,
            (post - pre) / median * (pre < post),
        ],
        axis=1,
    )


def _morphology_features(windows: np.ndarray, regular: np.ndarray) -> np.ndarray:
    """Each beat against the dominant beat (median of the regular beats), polarity and amplitude normalised."""
    dominant = np.median(windows[regular] if regular.sum() >= 50 else windows, axis=0)
    sign = 1.0 if dominant[_PRE] >= 0 else -1.0  # an inverted lead: read as upright
    qrs_span = slice(_PRE - _samples(0.1), _PRE + _samples(0.15))
    scale = sign / (np.ptp(dominant[qrs_span]) + EPS)
    beats, dominant = windows * scale, dominant * scale
    qrs = slice(_PRE - _samples(0.08), _PRE + _samples(0.12))
    p_wave = slice(0, _PRE - _samples(0.08))
    t_wave = slice(_PRE + _samples(0.15), _PRE + _POST)
    difference = beats - dominant
    beat_qrs, dominant_qrs = beats[:, qrs], dominant[qrs]
    previous = np.concatenate([beats[:1], beats[:-1]])
    following = np.concatenate([beats[1:], beats[-1:]])
    width = _qrs_width_ms(beats)
    morphology = np.stack(
        [
            _corr(beats, dominant),
            _corr(beat_qrs, dominant_qrs),
            _corr(beats[:, p_wave], dominant[p_wave]),
            _corr(beats[:, t_wave], dominant[t_wave]),
            (beat_qrs**2).sum(axis=1) / ((dominant_qrs**2).sum() + EPS),
            beats[:, _PRE],
            beat_qrs.max(axis=1),
            beat_qrs.min(axis=1),
            np.ptp(beat_qrs, axis=1),
            width,
            width - _qrs_width_ms(dominant[None])[0],
            np.sqrt((difference**2).mean(axis=1)),
            np.sqrt((difference[:, qrs] ** 2).mean(axis=1)),
            np.sqrt((difference[:, p_wave] ** 2).mean(axis=1)),
            np.abs(difference[:, t_wave]).max(axis=1),
            beats[:, p_wave].std(axis=1),
            beats[:, p_wave].std(axis=1) / (dominant[p_wave].std() + EPS),
            np.abs(beat_qrs).sum(axis=1) / (np.abs(dominant_qrs).sum() + EPS),
            _corr(beat_qrs, previous[:, qrs]),
            _corr(beat_qrs, following[:, qrs]),
            np.argmax(beat_qrs, axis=1) - np.argmax(dominant_qrs),
            np.argmin(beat_qrs, axis=1) - np.argmin(dominant_qrs),
        ],
        axis=1,
    )
    n = _WAVE_POINTS * POOL

    def pooled(x: np.ndarray) -> np.ndarray:
        return x[:, :n].reshape(len(x), _WAVE_POINTS, POOL).mean(axis=2)

    return np.concatenate([morphology, pooled(beats), pooled(difference)], axis=1)


def ecg_beat_features(ecg: np.ndarray, fs: float, peaks: np.ndarray) -> np.ndarray:
    """(n, len(FEATURE_NAMES)) float32 features of the beats at sample positions `peaks` (sorted, at least two) of
    one ECG lead sampled at `fs` Hz; the record itself is the reference for every feature."""
    lead = ecg_feature_lead(ecg, fs)
    positions = np.round(np.asarray(peaks, dtype=np.float64) * FEATURE_FS / fs).astype(np.int64)
    positions = _realign(lead, positions)
    rr, pre, post = _rr_features(positions / FEATURE_FS)
    regular = (np.abs(rr[:, 8] - 1) < 0.15) & (np.abs(post / rr[:, 4] - 1) < 0.15)
    features = np.concatenate(
        [rr, _morphology_features(_windows(lead, positions), regular), _rhythm_features(pre, post)], axis=1
    )
    return np.nan_to_num(features, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
