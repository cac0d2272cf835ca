"""What each page shows, read through domain queries in a fixed number of statements."""
