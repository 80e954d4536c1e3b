"""Counts for people to read, with no import of their own: `ridni link` prints one and loads
nothing else of the application (the input types of `app.core.text` load Pydantic)."""


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """A count and its noun, for people to read: `1 row`, `2 rows`, `0 rows`."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
