"""PostgreSQL access: connections, schema reflection, small query helpers."""

from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple


class Column(NamedTuple):
    name: str
    data_type: str  # information_schema data_type, e.g. "timestamp with time zone"
    udt_name: str  # base type name usable in a cast, e.g. "timestamptz", "varchar"
    nullable: bool
    has_default: bool
    max_length: Optional[int] = None  # varchar(n), char(n)


def libpq_url(sqlalchemy_url: str) -> str:
    """Turns Airflow's sql_alchemy_conn into a URL libpq accepts.

    'postgresql+psycopg2://u:p@h:5432/db' -> 'postgresql://u:p@h:5432/db'.
    """
    scheme, sep, rest = sqlalchemy_url.partition("://")
    if not sep or not scheme.startswith("postgres"):
        raise ValueError(
            "the metadata database URL must be a PostgreSQL URL such as "
            "postgresql://user:password@host:5432/airflow (got scheme %r); "
            "the migration reads and writes Airflow's PostgreSQL metadata database" % scheme
        )
    return "postgresql://" + rest


def connect(url: str) -> Any:
    import psycopg2  # Airflow on PostgreSQL (and MWAA) always has it

    conn = psycopg2.connect(libpq_url(url))
    with conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
    conn.commit()
    return conn


def airflow_database_url() -> str:
    """The metadata database of the Airflow this code runs in."""
    from airflow.configuration import conf

    return conf.get("database", "sql_alchemy_conn")


def reflect_columns(conn: Any, table: str) -> Optional[List[Column]]:
    """The table's columns in order, or None when the table does not exist."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT column_name, data_type, udt_name, is_nullable = 'YES', column_default IS NOT NULL,"
            " character_maximum_length"
            " FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s"
            " ORDER BY ordinal_position",
            (table,),
        )
        rows = cur.fetchall()
    if not rows:
        return None
    return [Column(*row) for row in rows]


def column_map(columns: Sequence[Column]) -> Dict[str, Column]:
    return {c.name: c for c in columns}


def alembic_revision(conn: Any) -> Optional[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('alembic_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT version_num FROM alembic_version")
        row = cur.fetchone()
    return row[0] if row else None


def unique_indexes(conn: Any, table: str) -> List[Tuple[str, List[str]]]:
    """(name, columns in the index's order) of the table's unique indexes over plain columns.

    Two queries without a join: a big table's load plans without nested loops, and a
    catalog join planned that way costs a quarter of a second.
    """
    names = dict(
        rows(conn, "SELECT attnum, attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0", (table,))
    )
    indexes = rows(
        conn,
        "SELECT indexrelid::regclass::text, indkey::int2[] FROM pg_index"
        " WHERE indrelid = to_regclass(%s) AND indisunique AND indpred IS NULL AND indexprs IS NULL",
        (table,),
    )
    return sorted((name, [names[n] for n in key]) for name, key in indexes)


def scalar(conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    return row[0] if row else None


def rows(conn: Any, sql: str, params: Sequence[Any] = ()) -> List[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()
