"""pytest plugin of vethbench (registered through the pytest11 entry point). Kept cheap to load."""
