"""Quality gates: one Great Expectations suite per raw table and per key mart (suites.yaml), run as Dagster checks.

A gate streams a table's rows from DuckDB as Arrow record batches, in bounded chunks, and
Great Expectations validates each chunk as a pandas DataFrame. A daily run brings each raw
table a few hundred rows, so what a gates step costs is per table, not per row: GE's work
per expectation, and queries. Hence a step reads every table's columns and pending loads in
one go (`read_catalog`) and reads a table's rows by load id (DuckDB skips the row groups of
other loads); tables sharing a suite are screened together (`screen_alike_tables`); and GE
first only asks whether each expectation holds (`validate`). Platform sync's tables (suites.yaml
`api_kinds`) go the same way; their rows, versions of records rather than rows of files, are found
again by their version key (`SuiteConfig.row_key`).

Modules, from the bottom up (each imports only those above it in this list):

- `config`: suites.yaml expanded to one `SuiteConfig` per table, and `gate_settings()`;
- `results`: `GateResult` and `ExpectationOutcome`, what a gate found;
- `catalog`: the gates' schemas, `read_catalog`, and `rows_to_validate` (a table's select);
- `suites`, `personal`: GE suites and validation; masking of personal data;
- `chunks`: rows read in chunks of whole files, each chunk's results merged (`merge`);
- `screening`, `volume`, `records`: alike tables screened together; the volume expectation;
  quarantine and pass records;
- `raw_gate` (`run_raw_gate`) and `mart_gate` (`run_mart_gate`): the two entry points;
- `report`: results as text and markdown.
"""
