"""The shared review module: rubrics, reviewer assignment, conflicts of interest, blind mode,
score sheets, aggregation and publicity (公示). Venture funding uses it; the micro-governance
competitions reuse it unchanged. It knows nothing of either: what is reviewed is an entry on a
panel, identified by the owning domain's subject id and the organisations conflicts are checked
against."""
