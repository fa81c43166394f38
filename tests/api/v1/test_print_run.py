"""A commune's print run: who may print, what is printed and in which order, HTTP and CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

import qr.plates
import registry.plates
from geo.code import AddressCode
from registry.errors import InvalidInput, NotFound
from registry.models import PrintRun, User
from registry.plates import iter_plate_addresses, plan_print_run
from tests.conftest import Tester
from tests.support.tools import Decode, Run, retire

BASE = "HTTPS://DIACHI.EXAMPLE.VN/A/"
#: Communes no other test commits addresses to (07210, the default, has committed ones).
COMMUNE = "07663"  # Xã Tuấn Đạo
EMPTY_COMMUNE = "07672"


def _commune_with_houses(tester: Tester, token: str, numbers: list[str]) -> list[str]:
    """Register houses with these numbers a few metres apart; returns their codes in order."""
    codes = []
    for index, number in enumerate(numbers):
        body = tester.add_household(
            token, commune=COMMUNE, house_number=number, lat=21.2849 + index * 0.0002, lon=106.215
        )
        codes.append(body["code"])
    return codes


def test_print_run_of_an_official_in_scope(
    tester: Tester, client: FlaskClient, run: Run, decode: Decode, tmp_path: Path
) -> None:
    token = tester.user(communes=(COMMUNE,))
    codes = _commune_with_houses(tester, token, ["3", "1", "2"])
    response = client.get(
        f"/v1/admin-units/{COMMUNE}/plates.pdf?per_page=2", headers=tester.auth(token)
    )
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="plates-{COMMUNE}.pdf"'
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Plate-Count"] == "3"
    path = tmp_path / "plates.pdf"
    path.write_bytes(response.data)
    assert re.search(r"^Pages:\s+2$", run("pdfinfo", path).decode(), re.MULTILINE)
    first_page = run("pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", path)
    assert sorted(decode(first_page)) == sorted(BASE + code for code in codes[1:3])  # Số 1, Số 2
    printed = " ".join(run("pdftotext", path, "-").decode().split())
    assert printed.index("Số 1,") < printed.index("Số 2,") < printed.index("Số 3,")
    assert "Nguyễn Thị Lan" not in printed


def test_the_stream_outlives_the_request(
    tester: Tester, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, run: Run, tmp_path: Path
) -> None:
    """The body is read after the view returned and the request's session closed.

    One row per fetch and one page per rendered piece: every plate after the first is read from
    the server-side cursor while the response is being sent.
    """
    monkeypatch.setattr(registry.plates, "BATCH_SIZE", 1)
    monkeypatch.setattr(qr.plates, "PAGES_PER_CHUNK", 1)
    token = tester.user(communes=(COMMUNE,))
    codes = _commune_with_houses(tester, token, ["1", "2", "3", "4"])
    response = client.get(
        f"/v1/admin-units/{COMMUNE}/plates.pdf?per_page=1",
        headers=tester.auth(token),
        buffered=False,
    )
    assert response.status_code == 200
    pieces = [bytes(piece) for piece in response.response]  # type: ignore[arg-type]
    assert len(pieces) == 5  # four pages, then the cross-reference table
    path = tmp_path / "plates.pdf"
    path.write_bytes(b"".join(pieces))
    printed = " ".join(run("pdftotext", path, "-").decode().split())
    assert all(AddressCode.parse(code).display in printed for code in codes)


def test_only_active_addresses_are_printed(
    tester: Tester, client: FlaskClient, run: Run, tmp_path: Path
) -> None:
    token = tester.user(communes=(COMMUNE,))
    old, new = _commune_with_houses(tester, token, ["7", "9"])
    retire(tester, old, new)
    response = client.get(f"/v1/admin-units/{COMMUNE}/plates.pdf", headers=tester.auth(token))
    assert response.headers["X-Plate-Count"] == "1"
    path = tmp_path / "plates.pdf"
    path.write_bytes(response.data)
    printed = " ".join(run("pdftotext", path, "-").decode().split())
    assert AddressCode.parse(new).display in printed
    assert AddressCode.parse(old).display not in printed


@pytest.mark.parametrize(
    ("who", "commune", "query", "status"),
    [
        (None, COMMUNE, "", 401),
        ("official-elsewhere", COMMUNE, "", 403),
        ("official-elsewhere", "99999", "", 403),  # no hint whether the commune exists
        ("admin", "99999", "", 404),
        ("admin", "24", "", 422),  # a province
        ("admin", EMPTY_COMMUNE, "", 404),  # a commune without addresses
        ("official", COMMUNE, "per_page=11", 422),
        ("official", COMMUNE, "per_page=0", 422),
    ],
)
def test_print_run_errors(
    tester: Tester, client: FlaskClient, who: str | None, commune: str, query: str, status: int
) -> None:
    tester.add_household(tester.user(communes=(COMMUNE,)), commune=COMMUNE)
    headers = {}
    if who == "official":
        headers = tester.auth(tester.user(communes=(COMMUNE,)))
    elif who == "official-elsewhere":
        headers = tester.auth(tester.user(communes=("07228",)))
    elif who == "admin":
        headers = tester.auth(tester.user(role="admin", communes=()))
    response = client.get(f"/v1/admin-units/{commune}/plates.pdf?{query}", headers=headers)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_walking_order_sorts_house_numbers_as_numbers(tester: Tester, db: Session) -> None:
    token = tester.user(communes=(COMMUNE,))
    codes = _commune_with_houses(tester, token, ["10", "9A", "2", "9"])
    plan = plan_print_run(db, COMMUNE)
    assert plan.count == 4
    assert plan.commune.name == "Xã Tuấn Đạo"
    views = list(iter_plate_addresses(db, COMMUNE, batch_size=2))
    assert [view.house_number for view in views] == ["2", "9", "9A", "10"]
    assert {view.code.canonical for view in views} == set(codes)


def test_plan_refuses_provinces_and_empty_communes(db: Session) -> None:
    with pytest.raises(InvalidInput):
        plan_print_run(db, "24")
    with pytest.raises(NotFound):
        plan_print_run(db, EMPTY_COMMUNE)
    with pytest.raises(NotFound):
        plan_print_run(db, "00000")


def test_cli_prints_a_commune(
    tester: Tester, runner: FlaskCliRunner, run: Run, decode: Decode, tmp_path: Path
) -> None:
    codes = _commune_with_houses(tester, tester.user(communes=(COMMUNE,)), list("12345"))
    output = tmp_path / "plates.pdf"
    result = runner.invoke(
        args=["plates", "--commune", COMMUNE, "-o", str(output), "--per-page", "4"]
    )
    assert result.exit_code == 0, result.output
    assert f"5 plates on 2 pages -> {output}" in result.output
    assert f"Xã Tuấn Đạo ({COMMUNE})" in result.output  # the progress bar's label
    assert re.search(r"^Pages:\s+2$", run("pdfinfo", output).decode(), re.MULTILINE)
    last_page = run("pdftoppm", "-r", "150", "-png", "-f", "2", "-l", "2", output)
    assert decode(last_page) == [BASE + codes[4]]
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    ("commune", "message"),
    [("99999", "no administrative unit has code '99999'"), (EMPTY_COMMUNE, "no active address")],
)
def test_cli_errors_leave_no_file(
    runner: FlaskCliRunner, tmp_path: Path, commune: str, message: str
) -> None:
    output = tmp_path / "plates.pdf"
    result = runner.invoke(args=["plates", "--commune", commune, "-o", str(output)])
    assert result.exit_code == 1
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def _runs(db: Session) -> list[tuple[str, int, str, str]]:
    rows = db.execute(
        select(PrintRun.commune_code, PrintRun.plates, PrintRun.actor, PrintRun.via)
        .where(PrintRun.commune_code == COMMUNE)
        .order_by(PrintRun.id)
    )
    return [(row.commune_code, row.plates, row.actor, row.via) for row in rows]


def test_a_complete_http_print_run_is_recorded(
    tester: Tester, client: FlaskClient, db: Session
) -> None:
    token = tester.user(communes=(COMMUNE,))
    _commune_with_houses(tester, token, ["1", "2"])
    username = db.scalar(select(User.username).order_by(User.id.desc()))
    response = client.get(f"/v1/admin-units/{COMMUNE}/plates.pdf", headers=tester.auth(token))
    assert response.status_code == 200 and response.data.endswith(b"%%EOF\n")
    assert _runs(db) == [(COMMUNE, 2, username, "http")]
    (at,) = db.scalars(select(PrintRun.at).where(PrintRun.commune_code == COMMUNE))
    assert at is not None


def test_an_interrupted_print_run_is_not_recorded(
    tester: Tester, client: FlaskClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client goes away after the first page: the stream is closed, nothing is kept."""
    monkeypatch.setattr(registry.plates, "BATCH_SIZE", 1)
    monkeypatch.setattr(qr.plates, "PAGES_PER_CHUNK", 1)
    token = tester.user(communes=(COMMUNE,))
    _commune_with_houses(tester, token, ["1", "2", "3"])
    response = client.get(
        f"/v1/admin-units/{COMMUNE}/plates.pdf?per_page=1",
        headers=tester.auth(token),
        buffered=False,
    )
    pieces = iter(response.response)
    first = next(pieces)
    assert isinstance(first, bytes) and first.startswith(b"%PDF")
    response.close()  # what a WSGI server does when the client disconnects
    assert _runs(db) == []


def test_a_cli_print_run_is_recorded_after_the_file_is_complete(
    tester: Tester, runner: FlaskCliRunner, db: Session, tmp_path: Path
) -> None:
    _commune_with_houses(tester, tester.user(communes=(COMMUNE,)), list("123"))
    result = runner.invoke(args=["plates", "--commune", COMMUNE, "-o", str(tmp_path / "p.pdf")])
    assert result.exit_code == 0, result.output
    ((commune, plates, actor, via),) = _runs(db)
    assert (commune, plates, via) == (COMMUNE, 3, "cli") and actor.startswith("operator:")
    # A run whose file cannot be written records nothing.
    missing = tmp_path / "no-such-directory" / "p.pdf"
    failed = runner.invoke(args=["plates", "--commune", COMMUNE, "-o", str(missing)])
    assert failed.exit_code == 1
    assert len(_runs(db)) == 1
