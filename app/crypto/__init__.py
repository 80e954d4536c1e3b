"""Field-level encryption at rest, for what would endanger someone if the database leaked.

- `keyfile`: the key file (where it is, reading and writing it);
- `keyring`: the keys of one key file, sealing and opening one value;
- `orm`: the encrypted column type and the ORM events that seal on flush and open on load;
- `maintenance`: the checks before serving, key rotation, status and verification.

This package knows no domain: the models declare their sealed columns with `orm.sealed_column`.
"""
