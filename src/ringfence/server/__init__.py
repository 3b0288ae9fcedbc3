"""``ringfence serve``: the HTTP API on uvicorn, its screener fed by the registry's feed."""
