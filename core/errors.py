"""Every exception the project raises on purpose.

Each message names the culprit, echoes the bad value and says what to do instead, so the CLI and the
Spaces can show it as one sentence.
"""


class PhysioError(Exception):
    """Base class: an error the user can fix by changing the input or the call."""


class InputError(PhysioError, ValueError):
    """The input file or array is unusable as given (empty, non-numeric, wrong columns, NaN)."""


class UnsupportedFormatError(InputError):
    """The file is not in a format the task reads."""


class FileTooLargeError(InputError):
    """The file or signal is over the size limit of one request."""


class SamplingRateError(InputError):
    """The sampling rate is missing or outside the accepted range."""


class SignalTooShortError(InputError):
    """The signal is shorter than the task's minimum length."""


class NoBeatsFoundError(InputError):
    """No heartbeats could be detected in the signal."""


class UnknownTaskError(PhysioError, KeyError):
    """The task name is not in the registry."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0])


class ConfigError(PhysioError, ValueError):
    """A configuration field has an invalid value."""


class CheckpointError(PhysioError):
    """A checkpoint folder or Hub repository is missing a file or is inconsistent."""


class MissingDependencyError(PhysioError, ImportError):
    """An optional dependency is not installed."""


class NoBreathsFoundError(InputError):
    """No breathing could be detected in a waveform (flat, pure noise, or a wrong sampling rate)."""


class TimestampError(InputError):
    """A timestamp column holds values that do not parse as dates or seconds."""


class NoMotionDataError(InputError):
    """A workout has neither speed nor GPS positions, so its pace is unknown."""


class TimestampOrderError(InputError):
    """A recording's timestamps go backwards."""


class UnitError(InputError):
    """Sensor values do not fit the stated or any accepted physical unit."""


class HubAuthError(PhysioError):
    """No Hugging Face token is available for publishing."""


class RequestTimeoutError(PhysioError):
    """A request ran over the server's time limit for one request."""


class ServerBusyError(PhysioError):
    """Every slot for long recordings stayed taken for the whole time limit."""


class DownloadError(PhysioError):
    """A dataset download failed: unreachable source, or a file whose checksum differs from the published one."""
