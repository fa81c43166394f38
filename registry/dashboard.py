"""The campaign's progress per province and commune, for province staff and administrators.

Every figure comes from counters the database keeps as records change (migration
0009_dashboard: ``dashboard_counts``, ``dashboard_registrations``, ``dashboard_activity``,
rows of changes summed per commune, folded by :func:`compact`) and from the print runs, never
from a scan of addresses or households, so a province answers in milliseconds at any size. No
figure names or counts a person: only communes.

Who sees what: administrators every province; province staff their own provinces (another
province is refused, 403, whether or not it exists, as a commune outside an official's
assignment is); officials none (the dashboard is not theirs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from registry.errors import Forbidden, InvalidInput, NotFound

if TYPE_CHECKING:  # only annotations: registry.access imports much of the registry itself
    from registry.access import Actor

#: "Registered this week" and "officials active": today and the six days before (Vietnam time).
WEEK_DAYS = 7
#: The registrations-per-day series: this many days up to today by default, at most MAX_DAYS.
DEFAULT_DAYS = 30
MAX_DAYS = 366
#: Commune boundaries are simplified to about 20 m for a province's map (degrees).
MAP_TOLERANCE = 0.0002
#: GeoJSON coordinates: 5 decimals (about a metre).
MAP_DECIMALS = 5

_TODAY = text("SELECT (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date")

#: Per commune of the given provinces: its counters, the week's registrations, plates printed
#: and officials active (``since``: the first day of the week).
_COMMUNES = text(
    """
    WITH communes AS (
        SELECT code, name, parent_code FROM admin_units
        WHERE level = 'commune' AND parent_code = ANY(CAST(:provinces AS text[]))
    ), counts AS (
        SELECT k.commune_code, sum(k.addresses) AS addresses, sum(k.flagged) AS flagged,
               sum(k.households) AS households, sum(k.precise) AS precise
        FROM dashboard_counts AS k JOIN communes AS c ON c.code = k.commune_code
        GROUP BY k.commune_code
    ), week AS (
        SELECT d.commune_code, sum(d.registrations) AS registered
        FROM dashboard_registrations AS d JOIN communes AS c ON c.code = d.commune_code
        WHERE d.day >= :since GROUP BY d.commune_code
    ), printed AS (
        SELECT p.commune_code, sum(p.plates) AS plates
        FROM print_runs AS p JOIN communes AS c ON c.code = p.commune_code
        GROUP BY p.commune_code
    ), active AS (
        SELECT o.commune_code, count(DISTINCT o.user_id) AS officials
        FROM dashboard_activity AS o
        JOIN communes AS c ON c.code = o.commune_code
        JOIN users AS u ON u.id = o.user_id AND u.role = 'official'
        WHERE o.day >= :since GROUP BY o.commune_code
    )
    SELECT c.parent_code AS province, c.code, c.name,
           coalesce(k.addresses, 0) AS addresses, coalesce(k.households, 0) AS households,
           coalesce(w.registered, 0) AS registered, coalesce(k.precise, 0) AS precise,
           coalesce(k.flagged, 0) AS flagged, coalesce(p.plates, 0) AS plates,
           coalesce(a.officials, 0) AS officials
    FROM communes AS c
    LEFT JOIN counts AS k ON k.commune_code = c.code
    LEFT JOIN week AS w ON w.commune_code = c.code
    LEFT JOIN printed AS p ON p.commune_code = c.code
    LEFT JOIN active AS a ON a.commune_code = c.code
    ORDER BY c.parent_code, c.code
    """
)
#: Officials active in each province (one official in two communes counts once).
_OFFICIALS = text(
    """
    SELECT c.parent_code AS province, count(DISTINCT o.user_id) AS officials
    FROM dashboard_activity AS o
    JOIN admin_units AS c ON c.code = o.commune_code
    JOIN users AS u ON u.id = o.user_id AND u.role = 'official'
    WHERE o.day >= :since AND c.parent_code = ANY(CAST(:provinces AS text[]))
    GROUP BY c.parent_code
    """
)
_PROVINCES = text(
    """
    SELECT code, name FROM admin_units
    WHERE level = 'province' AND (CAST(:all AS boolean) OR code = ANY(CAST(:codes AS text[])))
    ORDER BY code
    """
)
_DAYS = text(
    """
    SELECT g.day::date AS day, coalesce(sum(d.registrations), 0) AS registrations
    FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS g (day)
    LEFT JOIN dashboard_registrations AS d ON d.day = g.day::date AND d.commune_code IN (
        SELECT code FROM admin_units WHERE parent_code = :province AND level = 'commune'
    )
    GROUP BY g.day ORDER BY g.day
    """
)
_SHAPES = text(
    """
    SELECT code, name,
           ST_AsGeoJSON(ST_SimplifyPreserveTopology(boundary, :tolerance), :decimals) AS shape,
           ST_X(ref_point) AS lon, ST_Y(ref_point) AS lat
    FROM admin_units WHERE level = 'commune' AND parent_code = :province ORDER BY code
    """
)


@dataclass(frozen=True, slots=True)
class Counts:
    """The figures of a commune, or summed over a province."""

    #: Active addresses.
    addresses: int = 0
    #: Active households.
    households: int = 0
    #: Households registered in the last seven days (moves not counted).
    registered_7d: int = 0
    #: Active households whose address is a GPS fix within 10 m.
    gps_10m: int = 0
    #: Active addresses flagged for review (``addresses.flag``).
    flagged: int = 0
    #: Plates of completed print runs.
    plates_printed: int = 0
    #: Officials who changed a record in the last seven days.
    officials_active_7d: int = 0

    @property
    def gps_10m_share(self) -> float | None:
        """The share of active households located by GPS within 10 m (None: no household)."""
        return self.gps_10m / self.households if self.households else None

    def plus(self, other: Counts) -> Counts:
        """The sum of two communes' counts (officials too: set the distinct count after)."""
        return Counts(
            self.addresses + other.addresses,
            self.households + other.households,
            self.registered_7d + other.registered_7d,
            self.gps_10m + other.gps_10m,
            self.flagged + other.flagged,
            self.plates_printed + other.plates_printed,
            self.officials_active_7d + other.officials_active_7d,
        )


@dataclass(frozen=True, slots=True)
class CommuneProgress:
    """One commune's figures."""

    code: str
    name: str
    counts: Counts


@dataclass(frozen=True, slots=True)
class DayCount:
    """Households registered in a province on one day."""

    day: date
    registrations: int


@dataclass(frozen=True, slots=True)
class ProvinceProgress:
    """A province's totals, its communes and (for one province) its registrations per day."""

    code: str
    name: str
    totals: Counts
    communes: list[CommuneProgress]
    #: Today in Vietnam, and the first day of the "last seven days".
    today: date
    week_from: date
    days: list[DayCount]


@dataclass(frozen=True, slots=True)
class CommuneShape:
    """Where a commune is drawn on the province's map: its boundary, or its reference point."""

    code: str
    name: str
    #: The simplified boundary (GeoJSON geometry), None when no boundary is loaded.
    boundary: dict[str, Any] | None
    lon: float | None
    lat: float | None


def compact(session: Session) -> int:
    """Fold the counters' committed rows into one per commune (and day); returns rows folded.

    Each change appends rows (concurrent writers never wait on a counter); folding keeps the
    sums the dashboard reads short. ``flask maintenance run`` does it daily.
    """
    return int(session.execute(text("SELECT registry_dashboard_compact()")).scalar_one())


def require_dashboard(actor: Actor) -> None:
    """Refuse anyone but province staff and administrators.

    :raises Forbidden: for an official (the dashboard is not theirs).
    """
    if actor.role not in ("admin", "province"):
        raise Forbidden("the dashboard is for province staff and administrators")


def followed_provinces(session: Session, actor: Actor) -> list[ProvinceProgress]:
    """The provinces ``actor`` follows with their totals and communes (no day series).

    :raises Forbidden: for an official.
    """
    require_dashboard(actor)
    rows = session.execute(
        _PROVINCES, {"all": actor.is_admin, "codes": sorted(actor.provinces)}
    ).all()
    return _progress(session, [(row.code, row.name) for row in rows])


def province_progress(
    session: Session, actor: Actor, code: str, days: int = DEFAULT_DAYS
) -> ProvinceProgress:
    """One province's totals, communes, and registrations per day for the last ``days`` days.

    :raises Forbidden: an official, or province staff asking for another province.
    :raises NotFound: an administrator asking for a code that is no province.
    :raises InvalidInput: ``days`` outside 1..MAX_DAYS.
    """
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be 1..{MAX_DAYS}", {"days": [f"must be 1..{MAX_DAYS}"]})
    name = _followed(session, actor, code)
    (progress,) = _progress(session, [(code, name)])
    first = progress.today - timedelta(days=days - 1)
    series = session.execute(_DAYS, {"first": first, "last": progress.today, "province": code})
    return replace(progress, days=[DayCount(row.day, int(row.registrations)) for row in series])


def commune_shapes(session: Session, actor: Actor, code: str) -> list[CommuneShape]:
    """The communes of a followed province as the map draws them.

    :raises Forbidden, NotFound: as :func:`province_progress`.
    """
    _followed(session, actor, code)
    rows = session.execute(
        _SHAPES, {"province": code, "tolerance": MAP_TOLERANCE, "decimals": MAP_DECIMALS}
    )
    return [
        CommuneShape(
            row.code,
            row.name,
            json.loads(row.shape) if row.shape else None,
            row.lon,
            row.lat,
        )
        for row in rows
    ]


def _followed(session: Session, actor: Actor, code: str) -> str:
    """The name of province ``code`` if ``actor`` follows it.

    :raises Forbidden, NotFound: see :func:`province_progress`.
    """
    require_dashboard(actor)
    if not actor.follows(code):
        raise Forbidden(f"you do not follow province {code}")
    name = session.scalar(
        text("SELECT name FROM admin_units WHERE code = :code AND level = 'province'"),
        {"code": code},
    )
    if name is None:
        raise NotFound(f"no province has code {code!r}")
    return str(name)


def _progress(session: Session, provinces: list[tuple[str, str]]) -> list[ProvinceProgress]:
    """Totals and communes of ``provinces`` (code, name), in that order."""
    today: date = session.execute(_TODAY).scalar_one()
    since = today - timedelta(days=WEEK_DAYS - 1)
    codes = [code for code, _ in provinces]
    params = {"provinces": codes, "since": since}
    communes: dict[str, list[CommuneProgress]] = {code: [] for code in codes}
    for row in session.execute(_COMMUNES, params):
        communes[row.province].append(CommuneProgress(row.code, row.name, _counts(row)))
    officials = {row.province: int(row.officials) for row in session.execute(_OFFICIALS, params)}
    result = []
    for code, name in provinces:
        totals = Counts()
        for commune in communes[code]:
            totals = totals.plus(commune.counts)
        totals = replace(totals, officials_active_7d=officials.get(code, 0))
        result.append(ProvinceProgress(code, name, totals, communes[code], today, since, []))
    return result


def _counts(row: Row[Any]) -> Counts:
    return Counts(
        addresses=int(row.addresses),
        households=int(row.households),
        registered_7d=int(row.registered),
        gps_10m=int(row.precise),
        flagged=int(row.flagged),
        plates_printed=int(row.plates),
        officials_active_7d=int(row.officials),
    )
