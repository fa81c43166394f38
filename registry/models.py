"""Typed SQLAlchemy models of the registry's tables.

The models describe the schema for queries; the schema itself is created by the Alembic
migrations (which also add what models cannot say: the audit trigger, extensions, indexes).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    FetchedValue,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every registry table."""


class AdminUnit(Base):
    """A province (2-digit code) or commune/ward/special zone (5-digit code)."""

    __tablename__ = "admin_units"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))  # province | commune
    name: Mapped[str] = mapped_column(Text)  # full Vietnamese name: "Phường Bắc Giang"
    short_name: Mapped[str] = mapped_column(Text)  # "Bắc Giang"
    name_en: Mapped[str] = mapped_column(Text)
    unit_type: Mapped[str] = mapped_column(Text)  # "Phường", "Xã", "Tỉnh", ...
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("admin_units.code"))
    search_key: Mapped[str] = mapped_column(Text)  # folded short name for diacritic-free search
    area_km2: Mapped[float | None] = mapped_column(Float)
    ref_point: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=False)
    )
    boundary: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)
    )
    boundary_source: Mapped[str | None] = mapped_column(Text)
    boundary_version: Mapped[str | None] = mapped_column(Text)
    catalogue_source: Mapped[str] = mapped_column(Text)


class Address(Base):
    """A dwelling unit with its digital address code."""

    __tablename__ = "addresses"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'retired')", name="address_status"),
        CheckConstraint("location_source IN ('gps', 'map', 'survey')", name="location_source"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(12))
    unit: Mapped[str] = mapped_column(Text, server_default="")  # "" when the code has no unit
    point: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(Text)
    house_number: Mapped[str | None] = mapped_column(Text)
    alley: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    street: Mapped[str | None] = mapped_column(Text)
    hamlet: Mapped[str | None] = mapped_column(Text)
    commune_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    province_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    postcode: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="active")
    successor_code: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    #: Why the record needs an official's review, e.g. a corrected point far from its cell.
    flag: Mapped[str | None] = mapped_column(Text)
    #: Position in the change feed; a trigger sets it on every insert and update.
    change_seq: Mapped[int] = mapped_column(
        BigInteger, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AddressName(Base):
    """A street or hamlet name in use in a commune (kept by triggers on addresses; search)."""

    __tablename__ = "address_names"
    __table_args__ = (CheckConstraint("kind IN ('street', 'hamlet')", name="address_name_kind"),)

    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    #: As registered: addresses are found by it (``addresses.street`` or ``hamlet``).
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    #: ``registry_fold(name)``, for trigram matching.
    name_key: Mapped[str] = mapped_column(Text)


class Household(Base):
    """A household living at an address. Holds personal data: officials in scope only."""

    __tablename__ = "households"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'moved', 'dissolved')", name="household_status"),
        CheckConstraint("members >= 1", name="household_members"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id"))
    commune_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    head_name: Mapped[str] = mapped_column(Text)
    #: Sealed (AES-GCM, ``registry.pii``) like ``phone``: the database never holds them in clear.
    citizen_id: Mapped[str | None] = mapped_column(Text)
    #: Keyed HMAC of the citizen ID, for equality search without the clear value.
    citizen_id_index: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(Text)
    members: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(Text, server_default="active")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    #: A move to another commune closes this record (status "moved") and continues in a new one.
    moved_to: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("households.id"))
    moved_from: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("households.id"))
    #: Position in the change feed; a trigger sets it on every insert and update.
    change_seq: Mapped[int] = mapped_column(
        BigInteger, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CellSequence(Base):
    """How many sequence symbols of a Plus Code cell have been issued (never decreases)."""

    __tablename__ = "cell_sequences"
    __table_args__ = (CheckConstraint("issued BETWEEN 0 AND 20", name="cell_issued_range"),)

    cell: Mapped[str] = mapped_column(String(10), primary_key=True)
    issued: Mapped[int] = mapped_column(SmallInteger)


class User(Base):
    """An official, a member of a province's staff, or an administrator."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('official', 'admin', 'province')", name="user_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(server_default="true")
    #: The sealed TOTP secret of an administrator's second factor.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    #: The TOTP time-step of the last code accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class UserCommune(Base):
    """A commune an official is assigned to."""

    __tablename__ = "user_communes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"), primary_key=True)


class UserProvince(Base):
    """A province a member of the province's staff follows (the dashboard)."""

    __tablename__ = "user_provinces"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"), primary_key=True)


class AuthToken(Base):
    """A bearer token of a user; only its SHA-256 is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiClient(Base):
    """A business client of the validation API; only the key's SHA-256 is stored."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    key_prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_limit: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyRecord(Base):
    """The first response to a create carrying an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_records"

    actor: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    #: The request's hash, sealed (``registry.sync.idempotency.Digest``).
    request_hash: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditEvent(Base):
    """One change to a record. Append-only: the database refuses UPDATE and DELETE."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    entity_type: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[str] = mapped_column(Text)
    commune_code: Mapped[str | None] = mapped_column(String(5))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    device_id: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)
    #: The record's version after the change (None for records without versions).
    version: Mapped[int | None] = mapped_column(Integer)
    #: How the change came about: base version, merge/force, sync batch position, flags.
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    #: Position in change order (the history and audit cursors); set by a trigger on insert.
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default=FetchedValue())


class PiiDataKey(Base):
    """A data key of sealed personal data, itself sealed by the master key (``PII_KEY``)."""

    __tablename__ = "pii_data_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wrapped: Mapped[str] = mapped_column(Text)
    master_fingerprint: Mapped[str] = mapped_column(String(16))
    #: The key new values are sealed with (one row at a time).
    current: Mapped[bool] = mapped_column(server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AccessEvent(Base):
    """One read of households' personal data. Append-only, like the audit trail."""

    __tablename__ = "access_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(Text)
    device_id: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    #: What was read: household, feed, history, audit, print-run.
    purpose: Mapped[str] = mapped_column(Text)
    household_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    commune_codes: Mapped[list[str]] = mapped_column(ARRAY(String(5)))
    #: Position in change order (the trail's cursor), like the audit trail's; set on insert.
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default=FetchedValue())


class PrintRun(Base):
    """A completed print run of a commune's plates (a failed or interrupted run is not kept)."""

    __tablename__ = "print_runs"
    __table_args__ = (
        CheckConstraint("via IN ('cli', 'http')", name="print_run_via"),
        CheckConstraint("plates >= 1", name="print_run_plates"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    plates: Mapped[int] = mapped_column(Integer)
    #: The user who printed; None for the operator at the server's command line.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(Text)
    #: How: ``cli`` (``flask plates``) or ``http`` (``GET /v1/admin-units/{code}/plates.pdf``).
    via: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DashboardCount(Base):
    """Changes of a commune's counters: its figures are the sums of its rows.

    Appended by triggers on addresses and households, folded by ``registry_dashboard_compact()``
    (migration 0009_dashboard); the dashboard reads them.
    """

    __tablename__ = "dashboard_counts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5))
    #: Active addresses.
    addresses: Mapped[int] = mapped_column(Integer)
    #: Active addresses with a ``flag`` (awaiting an official's review).
    flagged: Mapped[int] = mapped_column(Integer)
    #: Active households.
    households: Mapped[int] = mapped_column(Integer)
    #: Active households whose address is a GPS fix within 10 m.
    precise: Mapped[int] = mapped_column(Integer)


class DashboardRegistration(Base):
    """Households registered in a commune on a day, Vietnam time (summed; moves not counted)."""

    __tablename__ = "dashboard_registrations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5))
    day: Mapped[date] = mapped_column(Date)
    registrations: Mapped[int] = mapped_column(Integer)


class DashboardActivity(Base):
    """A user who changed records of a commune on a day (from the audit trail, by trigger)."""

    __tablename__ = "dashboard_activity"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5))
    day: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(Integer)
