"""storage: the Parquet store on disk.

One Hive-partitioned Parquet dataset per table under a root directory (`schemas` lists the tables and columns,
`layout` where they live). Writes go through `writer` (spool first for crash safety, Parquet in batches, every file
published by an atomic rename); reads go through `reader` (DuckDB views over the live files, skipping corrupt ones
with a warning); `compact` merges small files into large sorted ones while others append and query.
"""
