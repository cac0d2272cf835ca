"""Demo seeds: real Pinghu divisions plus generated demo data, loaded idempotently."""
