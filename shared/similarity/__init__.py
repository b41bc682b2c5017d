"""Similarity for near-duplicate removal: embeddings, hybrid SQL score, Qdrant, saturation."""
