"""Errors that reach the user as one line: the CLI prints them on stderr with exit code 2, the app in st.error."""


class InputError(ValueError):
    """Bad user input (a file, a field, a row, an option). The message is one line naming what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class StoreBusyError(InputError):
    """The DuckDB store is held by another writer for longer than we are willing to wait."""
