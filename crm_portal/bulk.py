"""Write many rows into a model's table at once (COPY on PostgreSQL, batched inserts elsewhere), and
read many rows at once (COPY out, read by Arrow).

The rows come as a DataFrame whose columns are named as the table's columns (`client_id`, not
`client`). COPY bypasses the model, so nothing would fill in a field the frame leaves out:
`bulk_insert` writes what saving a new instance writes instead (the field's default, the present
time for `auto_now` and `auto_now_add`), and a row written here equals one written by `save()`.
"""

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from django.db import connection, models
from django.db.models import QuerySet
from django.utils import timezone

# Rows turned into CSV at a time within one COPY: the memory used stays the same however long the frame.
COPY_ROWS = 100_000
# Rows per INSERT where there is no COPY (SQLite also caps the parameters of one statement).
INSERT_ROWS = 2000
# Up to this many rows `bulk_replace` deletes and inserts them all instead of comparing.
DIRECT_ROWS = 500


def bulk_insert(model: type[models.Model], rows: pd.DataFrame, *, return_ids: bool = False) -> np.ndarray | None:
    """Insert the rows; with return_ids, return the new primary keys in the order of the rows."""
    rows = _with_defaults(model, rows)
    if connection.vendor != "postgresql":
        return _insert_in_batches(model, rows, return_ids)
    ids = None
    if return_ids:
        ids = _reserve_ids(model, len(rows))
        rows.insert(0, model._meta.pk.column, ids)
    _copy(model, rows)
    return ids


def _with_defaults(model: type[models.Model], rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with every other concrete field (but the primary key) as a new instance would save it."""
    rows = rows.copy(deep=False)
    now = timezone.now()
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in rows.columns:
            continue
        value = (
            now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else field.get_default()
        )
        rows[field.column] = value
    return rows


def _reserve_ids(model: type[models.Model], count: int) -> np.ndarray:
    """Take `count` keys from the table's sequence: no other transaction can ever be given them."""
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return np.sort(np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64, count=count))


def _copy(model: type[models.Model], rows: pd.DataFrame) -> None:
    """COPY the rows in CSV written by Arrow (text quoted, so "" stays an empty string; nulls unquoted)."""
    date_columns = {
        f.column
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
    }
    columns = ", ".join(connection.ops.quote_name(c) for c in rows.columns)
    options = pa_csv.WriteOptions(include_header=False)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN WITH (FORMAT csv)"
        ) as copy:
            for start in range(0, len(rows), COPY_ROWS):
                table = pa.Table.from_pandas(rows.iloc[start : start + COPY_ROWS], preserve_index=False)
                for position, name in enumerate(table.column_names):
                    # A day read from a file is a timestamp at midnight; the column takes the day alone.
                    if name in date_columns and pa.types.is_timestamp(table.schema.field(name).type):
                        table = table.set_column(position, name, table.column(name).cast(pa.date32()))
                sink = pa.BufferOutputStream()
                pa_csv.write_csv(table, sink, options)
                copy.write(sink.getvalue())


def _insert_in_batches(model: type[models.Model], rows: pd.DataFrame, return_ids: bool) -> np.ndarray | None:
    attnames = {f.column: f.attname for f in model._meta.concrete_fields}
    ids = []
    for start in range(0, len(rows), INSERT_ROWS):
        chunk = rows.iloc[start : start + INSERT_ROWS].rename(columns=attnames)
        # Missing values (NaN, NaT, pd.NA) are NULL; the values Python's own (int, not numpy.int64).
        records = chunk.astype(object).where(chunk.notna(), None).to_dict("records")
        created = model._base_manager.bulk_create([model(**record) for record in records])
        ids.extend(obj.pk for obj in created)
    return np.array(ids, dtype=np.int64) if return_ids else None


def bulk_select(rows: QuerySet, *, dates: tuple[str, ...] = ()) -> pd.DataFrame:
    """The rows of a `values_list(...)` queryset as a DataFrame named by its fields; `dates` as datetime64.

    On PostgreSQL the query is COPied out as CSV and read by Arrow (a million rows in about a
    second instead of a million Python tuples); elsewhere a cursor reads it.
    """
    names = list(rows.query.values_select)
    sql, params = rows.query.sql_with_params()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
                data = b"".join(bytes(block) for block in copy)
        if data:
            frame = pa_csv.read_csv(
                io.BytesIO(data),
                read_options=pa_csv.ReadOptions(column_names=names),
                convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() for name in dates}),
            ).to_pandas()
        else:
            frame = pd.DataFrame({name: [] for name in names})
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            frame = pd.DataFrame(cursor.fetchall(), columns=names)
    for name in dates:
        frame[name] = pd.to_datetime(frame[name])
    return frame


def bulk_replace(model: type[models.Model], current: list[QuerySet], rows: pd.DataFrame) -> dict:
    """Make the rows of the `current` querysets equal to `rows` (the table's columns, no primary key),
    writing only the difference: rows that did not change are left alone, so rewriting two million
    derived rows of which a few changed costs a read, not two million deletes and inserts.

    Returns how many rows were deleted and inserted.
    """
    if len(rows) <= DIRECT_ROWS:
        # A few rows (one client's): writing them anew costs less than reading and comparing them.
        deleted = sum(q.delete()[0] for q in current)
        bulk_insert(model, rows)
        return {"deleted": deleted, "inserted": len(rows)}
    columns = list(rows.columns)
    dates = tuple(
        f.column for f in model._meta.concrete_fields if f.column in columns and isinstance(f, models.DateField)
    )
    pk = model._meta.pk.attname
    parts = [bulk_select(q.order_by().values_list(pk, *columns), dates=dates) for q in current]
    existing = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[pk, *columns])
    old, new = _row_hashes(existing, columns, dates), _row_hashes(rows, columns, dates)
    stale = existing.loc[~np.isin(old, new), pk].astype(np.int64).tolist()
    fresh = np.flatnonzero(~np.isin(new, old))
    for start in range(0, len(stale), 5000):
        model._base_manager.filter(pk__in=stale[start : start + 5000]).delete()
    if len(fresh):
        bulk_insert(model, rows.iloc[fresh].reset_index(drop=True))
    return {"deleted": len(stale), "inserted": len(fresh)}


def _row_hashes(frame: pd.DataFrame, columns: list[str], dates: tuple[str, ...]) -> np.ndarray:
    """A 64-bit hash of each row's values, spelled alike whichever side they come from: days as day
    numbers, numbers as floats, missing values as one marker."""
    spelled = {}
    for column in columns:
        values = frame[column]
        if column in dates:
            days = pd.to_datetime(values).to_numpy().astype("datetime64[D]")
            spelled[column] = np.where(np.isnat(days), np.iinfo(np.int64).min, days.astype(np.int64))
        elif pd.api.types.is_numeric_dtype(values):
            spelled[column] = values.astype(float).fillna(np.inf).to_numpy()
        else:
            spelled[column] = values.fillna("").astype(str).to_numpy()
    return pd.util.hash_pandas_object(pd.DataFrame(spelled, index=frame.index), index=False).to_numpy()
