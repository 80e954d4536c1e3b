"""Filing records: above the reports, sightings and matches domains, which it joins."""
