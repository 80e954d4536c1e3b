"""Photos of reports and sightings: decoded, cleaned of every metadata block, re-encoded,
encrypted under a data key of their own, and kept in the photo store as ciphertext only."""
