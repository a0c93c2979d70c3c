"""Shape, views, indexing, masks, scatter/gather, sorting, joining, grids and padding."""
