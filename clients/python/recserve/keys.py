"""RecServe CURVE key files (`recctl keys`): `public-key = "..."` and, in secret files, `secret-key = "..."`."""


def read_key_file(path):
    """Returns (public_key, secret_key or None) as Z85 bytes."""
    values = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip().strip('"')
    public = values.get("public-key")
    if public is None or len(public) != 40:
        raise ValueError(f"{path}: no 40-character public-key line; make keys with `recctl keys --name NAME`")
    secret = values.get("secret-key")
    if secret is not None and len(secret) != 40:
        raise ValueError(f"{path}: secret-key must be 40 Z85 characters")
    return public.encode(), secret.encode() if secret else None
