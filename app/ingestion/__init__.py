"""Getting articles in: reading files, URLs and feeds, and storing what the extractor finds in them."""
