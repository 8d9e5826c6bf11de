"""DynamoDB: TransactWriteItems rolls back the items it touched instead of deep-copying the whole
table for every item of every transaction, and a Query on the table's keys reads its partition
instead of sorting the whole table (both made a thousand-record table take minutes)."""

from __future__ import annotations

import threading
from typing import Any


def install() -> None:
    """TransactWriteItems that rolls back the items it touched. moto deep-copies the whole table
    once per item of every transaction, to restore it on failure: each write costs the table's size
    in time and memory, and a table of a thousand records takes minutes and gigabytes."""
    import copy

    import moto.dynamodb.models as ddb
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    class _TablesByReference:
        """moto's module-level `copy`, except that a Table is not copied (the items are, below)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    ddb.copy = _TablesByReference()
    original = DynamoDBBackend.transact_write_items
    # One transaction at a time, as DynamoDB serializes conflicting ones: without it, a transaction whose
    # condition fails would restore its snapshots over the writes of one that committed in between
    # (the local server answers requests on threads, the in-process tests run writers on threads).
    serialized = threading.RLock()

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with serialized:
            _transact(self, transact_items)

    def _transact(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        snapshots = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            if op_type == "Put":
                attrs = op.get("Item", {})
                key = {table.hash_key_attr: attrs.get(table.hash_key_attr)}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs.get(table.range_key_attr)
            else:
                key = op.get("Key", {})
            try:
                current = self.get_item(op["TableName"], key)
            except Exception:  # a malformed key: the original raises the proper error
                continue
            snapshots.append((op["TableName"], key, current.to_json()["Attributes"] if current else None))
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attributes in reversed(snapshots):
                if attributes is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attributes)
            raise

    DynamoDBBackend.transact_write_items = transact_write_items

    # A Query on the table's own keys reads its partition; moto lists and sorts the whole table first.
    partition = threading.local()
    original_all_items = Table.all_items
    original_query = Table.query

    def all_items(self: Table) -> list[Any]:
        hint = getattr(partition, "key", None)
        if hint is not None and hint[0] is self:
            return list(self.items.get(hint[1], {}).values())
        return original_all_items(self)

    import inspect

    signature = inspect.signature(original_query)

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = signature.bind(self, hash_key, *args, **kwargs).arguments.get("index_name")
        if index_name or hash_key is None or not self.range_key_attr:
            return original_query(self, hash_key, *args, **kwargs)
        partition.key = (self, hash_key)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            partition.key = None

    Table.all_items = all_items
    Table.query = query
