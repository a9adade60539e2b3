"""Reports and exports: weekly growth reports, programme completion and portfolio reports (HTML + PDF),
emailed report links, CSV/JSON exports. Every number comes from ``app/stats/``."""
