"""A refusal told in Italian and English, never a traceback: the base of the product's own errors (a kept file that
cannot be used, a register decision refused, a warehouse problem). Light on purpose: the command line imports it."""


class Refused(Exception):
    """``message(lang)``: the words in the reader's language (Italian by default)."""

    def __init__(self, italian: str, english: str):
        super().__init__(italian)
        self.italian, self.english = italian, english

    def message(self, lang: str = "it") -> str:
        return self.english if lang == "en" else self.italian
