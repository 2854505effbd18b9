"""The report's tables as plain data: formatted cells with a CSS class, so HTML and the fallback PDF share them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, a CSS class (``num``, ``pass``, ``review``, ``fail``, ``flag``, ...) and a tooltip."""

    text: str
    cls: str = ""
    title: str = ""


@dataclass(frozen=True)
class Row:
    """A table row; ``group`` rows are sub-headings spanning the table (their first cell is the text)."""

    cells: tuple[Cell, ...]
    group: bool = False
    cls: str = ""


@dataclass
class Table:
    """A table of the report. ``key`` is its HTML id (``t-<key>``); ``numeric`` marks right-aligned columns."""

    key: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    caption: str = ""
    numeric: list[bool] = field(default_factory=list)
    note: str = ""
    wide: bool = False
    """Many columns: the HTML gives it a horizontally scrolling box and a smaller font."""

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = [False] * len(self.columns)
        if len(self.numeric) != len(self.columns):
            raise ValueError(f"table {self.key}: {len(self.columns)} columns but {len(self.numeric)} alignments")

    def add(self, *cells: Cell | str, cls: str = "") -> None:
        """Append a row; plain strings become cells (right-aligned in numeric columns)."""
        if len(cells) != len(self.columns):
            raise ValueError(f"table {self.key}: row of {len(cells)} cells for {len(self.columns)} columns")
        out = []
        for i, c in enumerate(cells):
            cell = c if isinstance(c, Cell) else Cell(str(c))
            if self.numeric[i] and "num" not in cell.cls.split():
                cell = Cell(cell.text, (cell.cls + " num").strip(), cell.title)
            out.append(cell)
        self.rows.append(Row(tuple(out), cls=cls))

    def group(self, text: str) -> None:
        """Append a sub-heading row spanning every column."""
        self.rows.append(Row((Cell(text),), group=True))

    @property
    def body_rows(self) -> int:
        """Rows that are not sub-headings."""
        return sum(1 for r in self.rows if not r.group)


def status_cell(status: str | None, *, title: str = "") -> Cell:
    """A pass / review / fail (or other state) badge."""
    s = (status or "n/a").strip()
    cls = {"pass": "badge pass", "review": "badge review", "fail": "badge fail", "failed": "badge fail",
           "flagged": "badge fail", "not flagged": "badge pass",
           "insufficient evidence": "badge review", "benchmark": "badge bench"}.get(s, "badge none")
    return Cell(s, cls, title)
