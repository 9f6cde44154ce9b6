"""Step 6, feedback ingestion: accept / reject / edit events become next round's records."""
