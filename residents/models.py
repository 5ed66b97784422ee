"""Residents: public reports and ratings (later issue). Residents have no accounts."""
