"""What every resource of the API shares: configuration, sessions, problems, limits, preconditions.

The resources (``api.v1``), the scan pages and the CLI use only what is listed here.
"""

from api.core import (
    bounds,
    config,
    db,
    docs,
    fields,
    headers,
    health,
    idempotency,
    leases,
    limits,
    problems,
    reads,
    replicas,
    resources,
    strict_json,
)
from api.core.db import owner_session, session
from api.core.fields import Code
from api.core.headers import no_store
from api.core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from api.core.limits import limiter, login_limit, public_limit
from api.core.preconditions import IF_MATCH_PARAMETER, etag, if_match
from api.core.problems import (
    PROBLEM_MEDIA_TYPE,
    ProblemSchema,
    geo_problem,
    problem,
    registry_problem,
)
from api.core.reads import record_read
from api.core.replicas import fresh, fresh_lookup
from api.core.resources import PROVINCE_STAFF, ResourceBlueprint, ResourceView

__all__ = [
    "IDEMPOTENCY_KEY_PARAMETER",
    "IF_MATCH_PARAMETER",
    "PROBLEM_MEDIA_TYPE",
    "PROVINCE_STAFF",
    "Code",
    "ProblemSchema",
    "ResourceBlueprint",
    "ResourceView",
    "bounds",
    "config",
    "db",
    "docs",
    "etag",
    "fields",
    "fresh",
    "fresh_lookup",
    "geo_problem",
    "headers",
    "health",
    "idempotency",
    "idempotent",
    "if_match",
    "leases",
    "limiter",
    "limits",
    "login_limit",
    "no_store",
    "owner_session",
    "problem",
    "problems",
    "public_limit",
    "reads",
    "record_read",
    "registry_problem",
    "replicas",
    "resources",
    "session",
    "strict_json",
]
