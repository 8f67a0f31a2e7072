"""The import pipeline, stage by stage (STYLE.md: read everything, validate everything,
then write): reader → normaliser → validator → matcher → writer."""
