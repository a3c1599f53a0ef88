"""The one exception the data layer raises for input a person has to fix."""


class DataError(ValueError):
    """A file or value that cannot be used, with a message written for the person who gave it.

    The message is shown as-is in the page and on the command line, so it says what was wrong
    and, where it can, what to do instead.
    """
