"""How OpenLineage's names become obsql's and back, each rule one function and its inverse.

- A job or dataset in the namespace `default` (what openlineage-python and most integrations use when none is set)
  is named by its name alone; one in any other namespace is `namespace::name`. So `trace 'orders.csv'` works for a
  pipeline that never set a namespace, `postgres://db:5432::shop.public.orders` names a table unambiguously, and
  splitting at the first `::` gives the namespace and name back. An obsql pointer or component without `::` is
  exported in the namespace `default`.
- A run id: OpenLineage's runId is a UUID, obsql's a ULID; both are 128 bits, so the runId's bits written the
  ULID way are the obsql run id, and back. A UUIDv7 runId (openlineage-python makes those) keeps its time order,
  and an obsql run exported and imported again keeps its id.
"""
from __future__ import annotations

import uuid

DEFAULT_NAMESPACE = "default"
SEPARATOR = "::"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32, as storage.ids writes ULIDs


def obsql_name(namespace: str, name: str) -> str:
    """The component or pointer name of a job or dataset."""
    return name if namespace == DEFAULT_NAMESPACE else f"{namespace}{SEPARATOR}{name}"


def openlineage_name(name: str) -> tuple[str, str]:
    """(namespace, name) of a component or pointer: the inverse of `obsql_name`."""
    namespace, separator, rest = name.partition(SEPARATOR)
    return (namespace, rest) if separator and namespace and rest else (DEFAULT_NAMESPACE, name)


def run_id_of(run_uuid: str) -> str:
    """The obsql run id of an OpenLineage runId: the UUID's 128 bits as 26 Crockford base32 digits."""
    value = uuid.UUID(run_uuid).int
    return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


def uuid_of(run_id: str) -> str:
    """The OpenLineage runId of an obsql run id (a ULID): the inverse of `run_id_of`."""
    value = 0
    for digit in run_id.upper():
        value = value * 32 + _ALPHABET.index(digit)
    return str(uuid.UUID(int=value))
