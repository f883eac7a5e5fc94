"""Location text -> ``metro``, ``country``, ``work_mode`` and ``remote``.

A location may list several places (``"Seattle, WA; SF; Remote in USA"``: ``;``, ``|``, a
slash (``"NYC/SF"``, ``"Salem, OR/Remote"``: :data:`_SLASH_RE`), `` or `` or `` and `` (not
inside a place's name: :data:`_AND`) separate them). Each place is looked up, in order, as a
whole alias (``SF``, ``NYC``, ``Bay Area``), as ``city, state`` in the metro table (the
state being the first part after the city that names a region: ``Brooklyn, Kings County,
NY``; the city also the part right before it: ``SoMa, San Francisco, CA``), as its city with
its second or its last part as an alias (``Melbourne, Victoria, Australia`` by the alias
``Melbourne Victoria``), and as a city alone when the country the place names, if any, is
the metro's. The posting's metro is the first place that resolves, and its country the
metro's; remote / hybrid come from a structured field, else from the title, else from the
places; a field and a place are read outside their parenthesised remarks first
(:func:`_said_for_itself`: ``Onsite (Designer Remote)`` is on site). Parsing runs once per
distinct location text.

The country a place names is its last part's when that part is a country and not the
place's region (``Toronto, ON, CA``; ``Ispra, VA, Italy`` is Italy, its ``VA`` the province
of Varese), else its region's. A last part that is both a region and a country code
(``CA``, ``DE``, ``IN``, ``CO``, ``IL``...) is read by :func:`_code_is_country`: the state
of ``Richmond, CA`` and ``West Redlands, Redlands, CA``, the country of ``Montreal, CA`` and
``Munich, Bavaria, DE``. A US state alone after a work mode (``Remote, OR``, ``Remote - IN``)
is read as after a city (:func:`_with_blank_city`): the state, not the word or the country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from newsletter.data.ingest.lookup import Memo
from newsletter.data.ingest.rules import CountryRules, MetroRules
from newsletter.data.ingest.text import says_yes, unglued, words

_SPLIT_RE = r"\s*(?:;|\||\n|\s/\s|\sor\s|\sand\s)\s*"
#: " and " joins places ("San Francisco and Toronto and Vienna", SimplifyJobs: one place
#: "san francisco toronto vienna", no metro, no country) as " or " does, except inside a
#: place's own name ("Trinidad and Tobago", "Newfoundland and Labrador", "Town and Country,
#: MO"): the names of the rules that hold it (:attr:`Places.joined`) are read with "&" first.
_AND = " and "
#: A slash between two places or a place and a work mode, unspaced ("Salem, OR/Remote",
#: "NYC/SF", "New York, NY/San Francisco, CA", "Sancaktepe/İstanbul, Türkiye"): it separates
#: them as " / " does (each was one place: "salem or remote" lost its state, "nyc sf" named
#: no metro). A letter, dot or parenthesis on each side (never "50/50", "24/7"); the
#: replacement is "$1;$2", applied twice (a match takes the letter after it, which may start
#: the next: "Raleigh/Durham/Cary").
_SLASH_RE = r"([\p{L}.)])\s*/\s*([\p{L}(])"
#: "2 days/week", "3d/wk": a rate, no two places (read "2 days per week" before the slashes
#: split a place).
_PER_WEEK_RE = r"(?i)\s*/\s*(week|wk)\b"
_REMOTE_RE = r"\b(?:remote|anywhere|work from home|wfh|telecommute|virtual|distributed|worldwide)\b"
_HYBRID_RE = r"\bhybrid\b"
_ONSITE_RE = r"\b(?:on-?site|in[- ]office|in[- ]person)\b"
#: Words of a place that name none: work modes, "in the" ("Remote in the US", "Anywhere
#: within the United States": "the us" named no country), Google Jobs' count of a posting's
#: other places ("Texas (+2 others)": the state was lost to the "2 others" after it), and
#: words around a place ("fully", "based", "metro area").
_NOISE_RE = (
    r"\b(?:(?:with)?in the|[0-9]+ others?|remote|hybrid|on-?site|in[- ]office|in[- ]person"
    r"|anywhere|work from home|wfh|telecommute|fully|only|based|in|within|first|friendly|ok"
    r"|locations?|multiple|flexible|options?|or|and|greater|metropolitan|metro|area|region|hq|headquarters|office|from)\b"
)
#: State codes that are noise words too ("Warsaw, IN", "Salem, OR", "Tulsa, OK"): ending a
#: place or before its next part, each is kept as the code (upper case, which the noise
#: pattern does not match), not dropped as "in", "or", "ok" (the city was read alone).
_NOISE_STATES = ("in", "or", "ok")
#: "Not remote", "no remote", "non-remote": the work is on site (read as "on-site" wherever
#: the work mode is read: a location's parts, the work-mode and remote fields, the title).
_NOT_REMOTE_RE = r"\b(?:not?|non)[- ]?remote\b"
#: Remote for part of the time: "50% remote", "3 days remote", "2 days/week remote",
#: "remote 3 days a week" are hybrid (read as "hybrid" wherever the work mode is read, as
#: "not remote" is "on-site"); "100% remote" and "5 days remote" stay remote.
_PART_REMOTE_RE = (
    r"\b(?:[1-9]\d?(?:\.\d+)?\s*%|[1-4](?:\.5)?\s*-?\s*(?:days?|d)(?:\s*(?:a|per|/|each)\s*(?:week|wk))?)"
    r"\s*-?\s*remote\b|\bremote\s*[:-]?\s*[1-4]\s*-?\s*(?:days?|d)\b"
)
#: What separates the parts of a place besides a comma: a parenthesis or bracket, a dash
#: between spaces, a colon ("Remote (OR)", "Remote - OR", "Remote: OR").
_PART_BREAK_RE = r"\(|\)|\[|\]|\s+-\s+|\s*:\s*"
#: A postal code of five digits (a US ZIP, ZIP+4; France's, Germany's): no part of a place's
#: name, and never between a state code and the end of its part ("Eugene, OR 97401").
_ZIP_RE = r"\b\d{5}(?:-\d{4})?\b"
#: Any word of a work mode: the text says where its work is done.
_MODE_WORD_RE = rf"{_REMOTE_RE}|{_HYBRID_RE}|{_ONSITE_RE}|\boffice\b"
#: A parenthesised remark, closed or not: "(Designer Remote)", "[hybrid".
_REMARK_RE = r"\([^)]*\)?|\[[^\]]*\]?"
#: Words of a title that name a field of work, not where it is done: a "Remote Sensing
#: Scientist" reads satellite images, a "Remotely Piloted Aircraft Analyst" flies drones, a
#: "Hybrid Cloud Engineer" runs mixed clouds.
_TITLE_FIELD_RE = (
    r"\bremote[- ]sens\w*|\bremotely[- ]pilot\w*|\bhybrid[- ](?:cloud|vehicles?|electric)\b"
)


@dataclass(frozen=True)
class Places:
    aliases: dict[str, str]  # normalized alias -> metro
    city_metro: dict[str, str]  # "city|REGION" -> metro
    city_only: dict[str, str]  # unambiguous city -> metro (used when no conflicting region)
    metro_country: dict[str, str]
    region_country: dict[str, str]  # normalized region code or name -> country code
    region_code: dict[str, str]  # normalized region name or code -> code
    country: dict[str, str]  # normalized country name -> code
    joined: tuple[str, ...] = ()  # names holding " and " (lower case): never split there


def _n(s: str) -> str:
    """A name of the rules as a place's part is read: casefolded words, without the noise
    word "and" (a part never holds it: "Newfoundland and Labrador", "Town and Country" named
    no region and no town)."""
    return " ".join(
        w for w in "".join(ch if ch.isalnum() else " " for ch in s.casefold()).split() if w != "and"
    )


#: A town's name written short ("Ft. Worth, TX", "Mt. View, CA", "Ft Meade, MD": each named
#: no metro), as its first word: the word in full, in a place's parts and in the metro table
#: alike (where "Ft Lauderdale" and "Fort Lauderdale" are then one key).
_TOWN_WORDS = {"ft": "fort", "mt": "mount"}


def _town(key: str) -> str:
    """A normalized city name with its first word in full (:data:`_TOWN_WORDS`)."""
    first, _, rest = key.partition(" ")
    return f"{_TOWN_WORDS[first]} {rest}" if rest and first in _TOWN_WORDS else key


def _town_expr(piece: pl.Expr) -> pl.Expr:
    """:func:`_town` of a place's normalized part, as an expression."""
    out = piece
    for short, full in _TOWN_WORDS.items():
        out = out.str.replace(f"^{short} ", f"{full} ")
    return out


def compile_places(metros: MetroRules, countries: CountryRules) -> Places:
    aliases: dict[str, str] = {}
    city_metro: dict[str, str] = {}
    city_only: dict[str, str] = {}
    seen_city: dict[str, set[str]] = {}
    for m in metros.metros:
        aliases[_n(m.name)] = m.name
        for a in m.aliases:
            aliases[_n(a)] = m.name
        for region, cities in m.cities.items():
            for c in cities:
                city_metro[f"{_town(_n(c))}|{region.upper()}"] = m.name
                seen_city.setdefault(_town(_n(c)), set()).add(m.name)
    for city, ms in seen_city.items():
        if len(ms) == 1:
            city_only[city] = next(iter(ms))
    # A metro's name or alias before one of its states ("Bay Area, CA", "NYC, NY", "Silicon
    # Valley, CA", "Twin Cities, MN") is the metro, as a member city there is (each named no
    # metro: an alias was read whole only); a member city of that state keeps its metro, and
    # a state the metro has no city in reads as before ("Portland, ME" is not Portland, OR).
    # Keyed as the city of a place is read, its noise words gone too ("Bay Area, CA": "bay").
    for m in metros.metros:
        for a in (m.name, *m.aliases):
            for key in {_n(a), _n(re.sub(_NOISE_RE, " ", a.casefold()))} - {""}:
                for region in m.cities:
                    city_metro.setdefault(f"{key}|{region.upper()}", m.name)
    region_country: dict[str, str] = {}
    region_code: dict[str, str] = {}
    for cc, regions in countries.regions.items():
        for r in regions:
            for key in (_n(r.code), _n(r.name)):
                region_country.setdefault(key, cc)
                region_code.setdefault(key, r.code.upper())
    country = {
        _n(n): c.code
        for c in countries.countries
        for n in (*c.names, *((c.code,) if c.code_names_it else ()))
    }
    named = [
        *(n for c in countries.countries for n in c.names),
        *(r.name for regions in countries.regions.values() for r in regions),
        *(n for m in metros.metros for n in (m.name, *m.aliases)),
        *(c for m in metros.metros for cities in m.cities.values() for c in cities),
    ]
    return Places(
        joined=tuple(sorted({n.casefold() for n in named if _AND in n.casefold()})),
        aliases=aliases,
        city_metro=city_metro,
        city_only=city_only,
        metro_country={m.name: m.country for m in metros.metros},
        region_country=region_country,
        region_code=region_code,
        country=country,
    )


def _said_for_itself(text: pl.Expr) -> pl.Expr:
    """The part of a lowercased text that its work mode is read from: the text outside its
    parenthesised remarks when that states a mode (``onsite (designer remote)`` is on site:
    the remark is about another role; ``hybrid (2 days remote)`` is hybrid), else the whole
    text (``london (remote)``, ``data engineer (remote)``: the remark is the only word on
    it). Read so: a work-mode field and a location's places, which may speak for several
    roles. Not a title: it names one role, and its remarks are about that role ("RA/QA Data
    Analyst (Hybrid: Sunnyvale, CA) W2 Only - Remote" is hybrid, as before)."""
    outside = text.str.replace_all(_REMARK_RE, " ")
    return pl.when(outside.str.contains(_MODE_WORD_RE)).then(outside).otherwise(text)


def _modes_said(low: pl.Expr) -> pl.Expr:
    """A lowercased text with its work-mode phrases in plain words: "not remote" as
    "on-site" (:data:`_NOT_REMOTE_RE`), remote part of the time as "hybrid"
    (:data:`_PART_REMOTE_RE`). The one reading of both for a place, a work-mode or remote
    field and a title."""
    return low.str.replace_all(_NOT_REMOTE_RE, "on-site").str.replace_all(_PART_REMOTE_RE, "hybrid")


def _lookup(expr: pl.Expr, table: dict[str, str]) -> pl.Expr:
    return expr.replace_strict(table, default=None, return_dtype=pl.String)


def _kept_state_codes(low: pl.Expr) -> pl.Expr:
    """``low`` with each of :data:`_NOISE_STATES` ending a part of a place in upper case."""
    for code in _NOISE_STATES:
        low = low.str.replace_all(rf",\s*{code}(\s*(?:,|$))", f", {code.upper()}${{1}}")
    return low


def _with_blank_city(clean: pl.Expr, pieces: pl.Expr, places: Places) -> pl.Expr:
    """The place's parts, with an empty city before a lone region after a work mode or
    another word of no place (``Remote, OR``, ``Remote - IN``, ``Hybrid (ME)``, ``Remote,
    Georgia``): the region stands where a city's state stands, and is read as in ``City,
    ST`` (a US state, not the country that shares its code: Indiana, not India), never as
    the city. A province's code that is a country's too stays the country (``Remote, NL``
    is the Netherlands, not Newfoundland: only the US writes a bare state after a place).
    ``clean`` is the place with those words blanked; a region alone (``Oregon``, ``IN``) or
    after a city keeps its parts."""
    after_blank = clean.str.contains(r"^\s*,")
    first = pieces.list.first()
    lone_region = (
        (pieces.list.len() == 1)
        & _lookup(first, places.region_code).is_not_null()
        & (
            (_lookup(first, places.region_country) == "US")
            | _lookup(first, places.country).is_null()
        )
    )
    return (
        pl.when(after_blank & lone_region)
        .then(pl.concat_list(pl.lit([""], dtype=pl.List(pl.String)), pieces))
        .otherwise(pieces)
    )


def _code_is_country(places: Places) -> pl.Expr:
    """Whether the region code ending a place (``_rcode``), which is a country's code too
    (``_lastc``: ``CA`` is California and Canada, ``DE`` Delaware and Germany), names the
    country. In order:

    1. the region, when a part before it is a member city of that region in the metro table
       (``Richmond, CA``; ``West Redlands, Redlands, CA``) or a US-style county
       (``Fishers, Hamilton County, IN``);
    2. the country, when the city (or the part before the code) is a metro of that country
       (``Montreal, CA``, ``Berlin, DE``, ``Munich, Bavaria, DE``);
    3. the region, for ``City, XX`` (``Smalltown, CA``: a state after a city is the US way);
    4. for three parts or more (``Town, Town, XX``): the region when the country's own
       regions are listed (Canada's: a Canadian place names its province, ``Toronto, ON,
       CA``, so ``Town, Town, CA`` is California), else the country (``Town, Bavaria, DE``:
       Germany's regions are not listed, and ``City, Region, DE`` is how boards write it).
    """
    code, country = pl.col("_rcode"), pl.col("_lastc")
    city, before = pl.col("_city"), pl.col("_before")

    def member(piece: pl.Expr) -> pl.Expr:
        return _lookup(piece + "|" + code, places.city_metro).is_not_null()

    def metro_there(piece: pl.Expr) -> pl.Expr:
        return pl.any_horizontal(
            (_lookup(_lookup(piece, table), places.metro_country) == country).fill_null(False)
            for table in (places.city_only, places.aliases)
        )

    in_region = member(city) | member(before) | before.str.ends_with(" county").fill_null(False)
    listed = sorted(set(places.region_country.values()))
    return ~in_region & (
        metro_there(city) | metro_there(before) | ((pl.col("_n") >= 3) & ~country.is_in(listed))
    )


def parse_locations(locations: pl.LazyFrame, places: Places) -> pl.LazyFrame:
    """Distinct ``location`` values -> ``_metro``, ``_country``, ``_loc_mode`` (or null)."""
    whole = pl.col("location")
    if places.joined:
        amp = [n.replace(_AND, " & ") for n in places.joined]
        whole = whole.str.replace_many(list(places.joined), amp, ascii_case_insensitive=True)
    parts = (
        locations.with_columns(
            _part=whole.str.replace_all(_PER_WEEK_RE, " per $1")
            .str.replace_all(_SLASH_RE, "$1;$2")
            .str.replace_all(_SLASH_RE, "$1;$2")
            .str.replace_all(_SPLIT_RE, ";")
            .str.split(";")
        )
        # each part's place in its location, numbered before the explode (no window by
        # location needed after it)
        .with_columns(_i=pl.int_ranges(0, pl.col("_part").list.len()))
        .explode("_part", "_i")
        .with_columns(
            _low=_modes_said(pl.col("_part").str.to_lowercase()),
        )
        .with_columns(_said=_said_for_itself(pl.col("_low")))
        .with_columns(
            _remote=pl.col("_said").str.contains(_REMOTE_RE),
            _hybrid=pl.col("_said").str.contains(_HYBRID_RE),
            _onsite=pl.col("_said").str.contains(_ONSITE_RE),
            # a dash or colon between parts separates them as a comma does, before the state
            # codes that are words are kept ("Remote - OR" as "Remote, OR")
            _clean=_kept_state_codes(
                pl.col("_low").str.replace_all(_PART_BREAK_RE, ",").str.replace_all(_ZIP_RE, " ")
            )
            .str.replace_all(_NOISE_RE, " ")
            .str.replace_all(r"\s+-\s+|\s*:\s*", ","),
        )
        .with_columns(
            _pieces=pl.col("_clean")
            .str.split(",")
            .list.eval(_town_expr(words(pl.element())))
            .list.eval(pl.element().filter(pl.element().str.len_bytes() > 0))
        )
        .with_columns(_whole=pl.col("_pieces").list.join(" "))
        .with_columns(_pieces=_with_blank_city(pl.col("_clean"), pl.col("_pieces"), places))
        .with_columns(
            _city=pl.col("_pieces").list.first(),
            _region=pl.col("_pieces").list.get(1, null_on_oob=True),
            _last=pl.col("_pieces").list.last(),
            _n=pl.col("_pieces").list.len(),
            # the region code each part after the city names, if any
            _codes=pl.col("_pieces")
            .list.slice(1)
            .list.eval(_lookup(pl.element(), places.region_code)),
        )
        .with_columns(
            # the place's region: the first part after the city that names one
            _rcode=pl.col("_codes").list.drop_nulls().list.first(),
            _lastc=_lookup(pl.col("_last"), places.country),
        )
        .with_columns(
            _ri=pl.when(pl.col("_rcode").is_not_null()).then(
                1 + pl.col("_codes").list.eval(pl.element().is_not_null()).list.arg_max()
            )
        )
        .with_columns(_before=pl.col("_pieces").list.get(pl.col("_ri") - 1, null_on_oob=True))
        .with_columns(
            # a last part that is the region and a country's code too ("CA", "DE"): which?
            _as_country=(pl.col("_ri") == pl.col("_n") - 1).fill_null(False)
            & pl.col("_lastc").is_not_null()
            & _code_is_country(places)
        )
        .with_columns(
            _rcode=pl.when(~pl.col("_as_country")).then("_rcode"),
            _ri=pl.when(~pl.col("_as_country")).then("_ri"),
        )
        .with_columns(
            # the country the place names: its last part's when that is a country and not
            # the place's region ("Toronto, ON, CA"; "Ispra, VA, Italy" is IT), else its
            # region's, else its second part's ("Berlin, Germany, Europe")
            _pc=pl.when(
                pl.col("_lastc").is_not_null() & (pl.col("_ri") != pl.col("_n") - 1).fill_null(True)
            )
            .then("_lastc")
            .otherwise(
                pl.coalesce(
                    _lookup(pl.col("_rcode").str.to_lowercase(), places.region_country),
                    _lookup(pl.col("_region"), places.country),
                    _lookup(pl.col("_last"), places.region_country),
                )
            ),
        )
        .with_columns(
            _city_alone=_lookup(pl.col("_city"), places.city_only),
            _city_alias=_lookup(pl.col("_city"), places.aliases),
        )
        .with_columns(
            _m=pl.coalesce(
                _lookup(words(pl.col("_low")), places.aliases),
                _lookup(pl.col("_whole"), places.aliases),
                _lookup(pl.col("_city") + "|" + pl.col("_rcode"), places.city_metro),
                # "Neighbourhood, City, ST": the part right before the region
                _lookup(pl.col("_before") + "|" + pl.col("_rcode"), places.city_metro),
                # a city qualified by its region or country, further along the place:
                # "Melbourne, Victoria, Australia" by the alias "Melbourne Australia"
                _lookup(pl.col("_city") + " " + pl.col("_region"), places.aliases),
                pl.when(pl.col("_region").is_not_null()).then(
                    _lookup(pl.col("_city") + " " + pl.col("_last"), places.aliases)
                ),
                pl.when(
                    pl.col("_rcode").is_null()
                    & _lookup(pl.col("_whole"), places.country).is_null()
                    & _lookup(pl.col("_whole"), places.region_country).is_null()
                ).then(
                    # the one in the place's country: "Berlin, DE" is the alias's Berlin,
                    # not the Berlin of Hartford's towns
                    pl.when(pl.col("_pc").is_null())
                    .then(pl.coalesce("_city_alone", "_city_alias"))
                    .when(pl.col("_pc") == _lookup(pl.col("_city_alone"), places.metro_country))
                    .then("_city_alone")
                    .when(pl.col("_pc") == _lookup(pl.col("_city_alias"), places.metro_country))
                    .then("_city_alias")
                ),
            )
        )
        .with_columns(
            # the metro's country first: an alias outranks the region it seems to name
            # ("Tbilisi, Georgia" is the country GE, not the state; "Perth, WA" is AU);
            # a city alone resolves only in the place's country anyway
            _c=pl.coalesce(
                _lookup(pl.col("_m"), places.metro_country),
                pl.col("_pc"),
                _lookup(pl.col("_whole"), places.country),
                # a country first, before words that name no place: "Remote (US - Most
                # States)", "Germany, anywhere in the south" (a town named as a country has
                # its state or country after it, read above: "Jordan, MN")
                _lookup(pl.col("_city"), places.country),
            )
        )
    )
    return parts.group_by("location").agg(
        _metro=pl.col("_m").sort_by("_i").drop_nulls().first(),
        _country=pl.col("_c").sort_by("_i").drop_nulls().first(),
        _loc_mode=pl.when(pl.col("_hybrid").any())
        .then(pl.lit("hybrid"))
        .when(pl.col("_remote").any())
        .then(pl.lit("remote"))
        .when(
            pl.col("_onsite").any()
            | pl.col("_m").is_not_null().any()
            | (pl.col("_region").is_not_null() & pl.col("_pc").is_not_null()).any()
        )
        .then(pl.lit("onsite")),
    )


def _mode_of(text: pl.Expr) -> pl.Expr:
    t = _modes_said(text.str.strip_chars().str.to_lowercase())
    return (
        pl.when(t.str.contains(r"\bon-site\b"))  # only from "not remote"
        .then(pl.lit("onsite"))
        .when(says_yes(t) | t.str.contains(r"\bremote\b|fully|anywhere"))
        .then(pl.lit("remote"))
        .when(t.str.contains(_HYBRID_RE))
        .then(pl.lit("hybrid"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _all_null(frame: pl.DataFrame, *columns: str) -> bool:
    return all(frame.get_column(c).null_count() == frame.height for c in columns)


def _title_mode(title: pl.Expr) -> pl.Expr:
    """The work mode a title states (``"Data Engineer (Remote)"``, ``"Hybrid Analyst"``), or
    null; a field of work named by a mode's word is none (:data:`_TITLE_FIELD_RE`)."""
    said = _modes_said(unglued(title).str.to_lowercase().str.replace_all(_TITLE_FIELD_RE, ""))
    return (
        pl.when(said.str.contains(_HYBRID_RE))
        .then(pl.lit("hybrid"))
        .when(said.str.contains(r"\bremote(?:ly)?\b"))  # "Working Remotely"
        .then(pl.lit("remote"))
        .when(said.str.contains(r"\bon-site\b"))  # only from "not remote" (_modes_said)
        .then(pl.lit("onsite"))
    )


def _title_modes(frame: pl.DataFrame) -> pl.DataFrame:
    """``_title_mode``: :func:`_title_mode` of each row's ``title``. Only a title holding
    "hybrid" or "remote" in any case can state a mode (once lowercased); those titles are read
    once per distinct title and joined back, the others are null. A batch of 200,000 short
    postings: 33,000 such titles, 5,400 distinct; the title's mode 0.098 s CPU read on every
    row (the others as empty strings), 0.035 s so."""
    said = (
        frame.filter(pl.col("title").str.contains("(?i)hybrid|remote"))
        .select(pl.col("title").unique())
        .with_columns(_title_mode=_title_mode(pl.col("title")))
    )
    return (
        frame.select("title")
        .join(said, on="title", how="left", maintain_order="left")
        .select("_title_mode")
    )


def add_locations(lf: pl.LazyFrame, places: Places, memo: Memo | None = None) -> pl.LazyFrame:
    """Add ``metro``, ``country`` (ISO-2), ``work_mode`` and ``remote``. Each distinct
    location is parsed once per run with ``memo`` (:class:`~.lookup.Memo`; a place depends on
    its text alone): a week's batches repeat most of each other's places (1,000,000 short
    postings in five batches: 74,900 places parsed batch by batch, 45,200 distinct)."""
    frame = lf.collect()

    # Collected and joined on the in-memory engine (DataFrame.join): several times faster
    # for this group-by and join than the default streaming engine.
    def parsed_of(locations: pl.DataFrame) -> pl.DataFrame:
        return parse_locations(locations.lazy(), places).collect(engine="in-memory")

    keys = frame.select(pl.col("location").drop_nulls().unique())
    parsed = parsed_of(keys) if memo is None else memo.values("places", keys, parsed_of)
    located = (
        frame.select("location")
        .join(parsed, on="location", how="left", maintain_order="left")
        .drop("location")
    )
    wm = _said_for_itself(_modes_said(pl.col("work_mode").str.strip_chars().str.to_lowercase()))
    structured: pl.Expr = (
        pl.when(wm.str.contains(_HYBRID_RE))
        .then(pl.lit("hybrid"))
        .when(wm.str.contains(r"remote") | wm.str.contains(_REMOTE_RE))  # or TELECOMMUTE
        .then(pl.lit("remote"))
        .when(wm.str.contains(r"on-?site|office|in[- ]person"))
        .then(pl.lit("onsite"))
        .otherwise(_mode_of(pl.col("remote")))
    )
    country_col = pl.col("country").str.strip_chars()
    country_in: pl.Expr = pl.coalesce(
        _lookup(words(country_col), places.country),
        pl.when(country_col.str.len_chars() == 2).then(country_col.str.to_uppercase()),
    )
    # Most exports have no work mode, remote or country column: these rules give null then,
    # and are not run (when/then chains over a column of nulls still cost a pass a branch).
    if _all_null(frame, "work_mode", "remote"):
        structured = pl.lit(None, dtype=pl.String)
    if _all_null(frame, "country"):
        country_in = pl.lit(None, dtype=pl.String)
    title_mode = _title_modes(frame)
    return (
        pl.concat([frame, located, title_mode], how="horizontal")
        .lazy()
        .with_columns(
            metro=pl.col("_metro"),
            country=pl.coalesce("_country", country_in),
            work_mode=pl.coalesce(structured, "_title_mode", "_loc_mode", pl.lit("unknown")),
        )
        .with_columns(remote=pl.col("work_mode") == "remote")
        .drop("_metro", "_country", "_loc_mode", "_title_mode")
    )
