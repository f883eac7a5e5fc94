"""Where each setting of a TOML text is written: its line, for error messages.

:func:`key_lines` maps every key path of a document that ``tomllib`` has read to the line
that sets it, whatever the shape: ``key = ...`` under a ``[table]`` header, dotted keys
(``email.top_n = 3``, also in headers: ``[delivery.smtp]``), quoted keys (``"top_n"``,
``'top_n'``, ``[ "email" ]``), inline tables (``email = { top_n = 3 }``), arrays
(``email = ["a", "b"]``: each element by its index) and arrays of tables (``[[x]]``: each
entry by its index, nested ones too). A table is found at its header, or at the first key
that opens it when it has none.

No TOML library tells where a key is (``tomllib`` and ``tomlkit`` keep no positions), so
this is a small scanner of the structure only: keys, headers, and the extent of values,
never their meaning (``tomllib`` decodes the quoted keys). It expects text ``tomllib`` has
accepted; on anything it does not follow it gives up, and the caller says no line.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_left

#: A key path: table and key names, and the index of an array element or array-of-tables
#: entry (as pydantic's ``loc`` names them).
Path = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LITERAL = re.compile(r"'[^'\n]*'")
#: The rest of a number, date, time or boolean: up to what ends a value.
_SCALAR = re.compile(r"[^,\]}#\n\r]+")
_BLANK = " \t"


class _ShapeError(ValueError):
    """The text is not shaped as the scanner expects: no lines at all."""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._newlines = [m.start() for m in re.finditer("\n", text)]
        #: Paths written out (a key, a header, an element): the first wins.
        self.explicit: dict[Path, int] = {}
        #: Paths only opened on the way (``a`` of ``a.b = 1`` or of ``[a.b]``).
        self.implicit: dict[Path, int] = {}
        #: Entries so far of each array of tables, by its path.
        self.entries: dict[Path, int] = {}

    # -- positions and marks ------------------------------------------------------------
    def mark(self, path: Path, pos: int) -> None:
        """``path`` is written at ``pos``, and the tables on its way are opened there
        unless they were before."""
        line = bisect_left(self._newlines, pos) + 1
        for end in range(1, len(path)):
            self.implicit.setdefault(path[:end], line)
        self.explicit.setdefault(path, line)

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def blanks(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _BLANK:
            self.pos += 1

    def gaps(self) -> None:
        """Blanks, line ends and comments (between array elements and statements)."""
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c in " \t\r\n":
                self.pos += 1
            elif c == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    def expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            raise _ShapeError(f"expected {token!r} at {self.pos}")
        self.pos += len(token)

    # -- keys -------------------------------------------------------------------------
    def key(self) -> tuple[str, ...]:
        """A dotted key (``a."b c".'d'``), each part decoded."""
        parts: list[str] = []
        while True:
            self.blanks()
            for pattern in (_BARE, _BASIC, _LITERAL):
                found = pattern.match(self.text, self.pos)
                if found:
                    raw = found.group(0)
                    parts.append(raw if pattern is _BARE else tomllib.loads(f"k = {raw}")["k"])
                    self.pos = found.end()
                    break
            else:
                raise _ShapeError(f"no key at {self.pos}")
            self.blanks()
            if self.peek() != ".":
                return tuple(parts)
            self.pos += 1

    # -- values -----------------------------------------------------------------------
    def value(self, path: Path) -> None:
        """Skip the value at ``pos`` (``path`` is already marked), marking what is in it."""
        c = self.peek()
        if not c:
            raise _ShapeError("no value at the end")
        if c == "[":
            self.array(path)
        elif c == "{":
            self.inline_table(path)
        elif c in "\"'":
            self.string(c)
        else:
            found = _SCALAR.match(self.text, self.pos)
            if found is None:
                raise _ShapeError(f"no value at {self.pos}")
            self.pos = found.end()

    def string(self, quote: str) -> None:
        if self.peek(3) == quote * 3:  # multi-line: up to two more quotes end its content
            end = self.pos + 3
            while True:
                end = self.text.find(quote * 3, end)
                if end < 0:
                    raise _ShapeError("an unclosed string")
                if quote == "'" or not _escaped(self.text, end):
                    break
                end += 1
            end += 3
            for _more in range(2):
                if self.text[end : end + 1] == quote:
                    end += 1
            self.pos = end
            return
        found = (_BASIC if quote == '"' else _LITERAL).match(self.text, self.pos)
        if found is None:
            raise _ShapeError(f"an unclosed string at {self.pos}")
        self.pos = found.end()

    def array(self, path: Path) -> None:
        self.expect("[")
        index = 0
        while True:
            self.gaps()
            if self.peek() == "]":
                self.pos += 1
                return
            self.mark((*path, index), self.pos)
            self.value((*path, index))
            index += 1
            self.gaps()
            if self.peek() == ",":
                self.pos += 1

    def inline_table(self, path: Path) -> None:
        self.expect("{")
        while True:
            self.gaps()  # a line end inside is TOML 1.1's
            if self.peek() == "}":
                self.pos += 1
                return
            self.pair(path)
            self.gaps()
            if self.peek() == ",":
                self.pos += 1

    def pair(self, table: Path) -> None:
        """``key = value`` in ``table``."""
        start = self.pos
        full = (*table, *self.key())
        self.expect("=")
        self.blanks()
        self.mark(full, start)
        self.value(full)

    # -- the document ---------------------------------------------------------------------
    def resolve(self, keys: tuple[str, ...]) -> Path:
        """A header's keys as a path: through an array of tables, its latest entry."""
        path: Path = ()
        for k in keys:
            path = (*path, k)
            if path in self.entries:
                path = (*path, self.entries[path] - 1)
        return path

    def document(self) -> None:
        table: Path = ()
        while True:
            self.gaps()
            if self.pos >= len(self.text):
                return
            before, start = self.pos, self.pos
            if self.peek(2) == "[[":
                self.pos += 2
                keys = self.key()
                self.expect("]]")
                outer = self.resolve(keys[:-1])
                array = (*outer, keys[-1])
                self.entries[array] = self.entries.get(array, 0) + 1
                table = (*array, self.entries[array] - 1)
                self.mark(array, start)
                self.mark(table, start)
            elif self.peek() == "[":
                self.pos += 1
                keys = self.key()
                self.expect("]")
                outer = self.resolve(keys[:-1])
                table = (*outer, keys[-1])
                self.mark(table, start)
            else:
                self.pair(table)
            self.blanks()
            if self.peek() == "#":
                self.gaps()
            elif self.pos < len(self.text) and self.peek() not in "\r\n":
                raise _ShapeError(f"more after a statement at {self.pos}")
            if self.pos == before:
                raise _ShapeError("no progress")


def _escaped(text: str, at: int) -> bool:
    """Whether the character at ``at`` follows an odd run of backslashes."""
    run = 0
    while at - run - 1 >= 0 and text[at - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def key_lines(text: str) -> dict[Path, int] | None:
    """Each key path of ``text`` (TOML that ``tomllib`` accepts) and the line that sets it
    (1-based): a key at its ``key =``, a table at its header (else the first key opening
    it), an array element or an array-of-tables entry at its start. None when the text is
    shaped in a way this scanner does not follow (then no line is said)."""
    scanner = _Scanner(text)
    try:
        scanner.document()
    except (_ShapeError, tomllib.TOMLDecodeError, LookupError, RecursionError):
        return None
    return {**scanner.implicit, **scanner.explicit}
