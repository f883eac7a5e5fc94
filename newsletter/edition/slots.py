"""Slot fillers: the parts of a compiled issue that depend on who reads it beyond rows.

The "New roles for you" section is compiled once with two slots (``<!--nl:slot
new_roles_title-->`` and ``<!--nl:slot new_roles_rows-->``, :mod:`newsletter.edition.personalize`);
for each audience :class:`RoleSlots` picks the roles once
(:meth:`newsletter.data.newroles.NewRoles.pick`, the rules' one owner) and gives the title and
the rows. Each posting's row is rendered once per issue from ``sections/new_roles_row.html.j2``
/ ``.txt.j2`` (autoescaped HTML: posting text is untrusted) and cached, so a preference set
costs a pick and a string join, and a reader the join its variant already has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from newsletter.data.newroles import NewRole, NewRoles
from newsletter.edition import palette
from newsletter.edition.formatting import Formatter
from newsletter.edition.personalize import Audience, tag_context
from newsletter.edition.picks import TITLE_BEST, TITLE_PICKED, role_line
from newsletter.edition.plaintext import wrap_line
from newsletter.edition.render import render_template

SLOT_TITLE, SLOT_ROWS = "new_roles_title", "new_roles_rows"


@dataclass
class RoleSlots:
    """The slot filler of one body (HTML or text) of one issue."""

    roles: NewRoles
    formatter: Formatter
    html: bool
    templates_dir: Path | None = None
    _rows: dict[str, str] = field(default_factory=dict)
    _empty: dict[bool, str] = field(default_factory=dict)

    def __call__(self, name: str, audience: Audience) -> str:
        personal = audience is not None and not audience.is_default
        if name == SLOT_TITLE:
            title = TITLE_PICKED if personal else TITLE_BEST
            return title if self.html else title.upper() + "\n"  # the marker ate its newline
        if name == SLOT_ROWS:
            picked = self.roles.pick(audience)
            return "".join(self._row(r) for r in picked) if picked else self._none(personal)
        return ""

    def _render(self, name: str, ctx: dict[str, object]) -> str:
        suffix = "html.j2" if self.html else "txt.j2"
        ctx = {**ctx, "pal": palette.roles(palette.LIGHT)}
        return render_template(f"sections/{name}.{suffix}", ctx, self.templates_dir)

    def _row(self, role: NewRole) -> str:
        cached = self._rows.get(role.posting_id)
        if cached is None:
            line = role_line(role, self.formatter)
            row = self._render("new_roles_row", {"role": line})
            if not self.html:  # the text part's rows are wrapped like the rest of it
                row = "\n".join(w for part in row.split("\n") for w in wrap_line(part))
            cached = self._rows[role.posting_id] = row
        return cached

    def _none(self, personal: bool) -> str:
        """The line shown when nothing matched (a reader's picks) or nothing discloses pay."""
        cached = self._empty.get(personal)
        if cached is None:
            ctx = {"tags": tag_context(), "personal": personal}
            cached = self._empty[personal] = self._render("new_roles_none", ctx)
        return cached
