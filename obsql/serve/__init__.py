"""`obsql serve`: a web UI, a REST API and an OpenLineage endpoint over one store, safe to leave running.

One concern a module: `config` (the options, checked at start-up), `engines` (reads on a pool of threads, one engine
each; writes on one writer thread), `auth` (the bearer token), `values` (results as JSON-safe values), `api` (the
JSON endpoints), `lineage` (POST /api/v1/lineage; the events of runs that have not ended yet wait in
`obsql.openlineage.pending`), `openapi` (the API's description), `html` and `pages` (the server-rendered pages), `app` (the Starlette
application) and `server` (uvicorn). docs/serve.md has every endpoint. Starlette and uvicorn are an optional extra
(`pip install 'obsql[serve]'`): nothing else of obsql imports this package.
"""
