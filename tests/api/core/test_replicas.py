"""Which routes may read from a replica: the public reads, and nothing else.

Their behaviour on a real standby (fresh codes, the lag bound, a replica down) is tested on
clusters of their own in ``tests/cluster/test_replicas.py``.
"""

from __future__ import annotations

from flask import Flask

from api.core import ResourceView

#: The public reads, and only they (README, "Read replicas and failover").
PUBLIC_READS = {
    ("addresses.Address", "GET"),
    ("plates.QrPng", "GET"),
    ("plates.QrSvg", "GET"),
    ("plates.PlatePdf", "GET"),
    ("scan.ScanPage", "GET"),
    ("reverse.Reverse", "GET"),
    ("search.Search", "GET"),
    ("validate.Validate", "POST"),
    ("validate.ValidateBatch", "POST"),
    ("admin_units.AdminUnits", "GET"),
    ("admin_units.AdminUnit", "GET"),
}


def test_only_the_public_reads_may_read_from_a_replica(app: Flask) -> None:
    declared = set()
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        if isinstance(view_class, type) and issubclass(view_class, ResourceView):
            declared |= {(endpoint, method) for method in view_class.replica_reads}
    assert declared == PUBLIC_READS


def test_without_a_replica_answers_say_nothing_of_one(app: Flask) -> None:
    answer = app.test_client().get("/v1/admin-units/07210")
    assert answer.status_code == 200
    assert "X-Read-From" not in answer.headers and "X-Replica-Lag" not in answer.headers
