"""Gold: analysis-ready tables derived from silver."""
