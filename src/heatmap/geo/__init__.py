"""Geography: coordinate systems, point-in-town lookup, H3 cells, boundary sets, town names and addresses."""
