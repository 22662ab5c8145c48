"""Fernet decryption on export and re-encryption on import.

Source and target environments have different Fernet keys, so secrets leave the
source in clear text (inside SSE-KMS objects only) and are encrypted again with
the target's key. Keys come from the caller or from the running Airflow's
[core] fernet_key, which may hold several comma-separated keys (rotation).
"""

from typing import Any, Dict, Optional

from .spec import TableSpec

SOURCE = "source"
TARGET = "target"

# Where each side's key comes from, for messages.
_KEY_ORIGIN = {
    SOURCE: "the export's Fernet key (--fernet-key, AIRFLOW__CORE__FERNET_KEY or the source Airflow's [core] fernet_key)",
    TARGET: "the import's Fernet key (--fernet-key, AIRFLOW__CORE__FERNET_KEY or the target Airflow's [core] fernet_key)",
}


class FernetKeyError(ValueError):
    pass


class Cipher:
    """Encrypts with the first key, decrypts with any; no key means clear text.

    side: whose key this is (SOURCE on export, TARGET on import), for messages.
    """

    def __init__(self, keys_csv: Optional[str], side: str = SOURCE) -> None:
        keys = [k.strip() for k in (keys_csv or "").split(",") if k.strip()]
        self.side = side
        self._fernet = None
        if keys:
            from cryptography.fernet import Fernet, MultiFernet

            try:
                self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in keys])
            except ValueError as error:
                raise FernetKeyError(
                    "%s is not a valid Fernet key (%s): it must be 32 url-safe base64-encoded "
                    "bytes, as [core] fernet_key holds" % (_KEY_ORIGIN[side], error)
                ) from None

    @property
    def encrypts(self) -> bool:
        return self._fernet is not None

    def decrypt(self, token: str, what: str = "a value") -> str:
        """what: the value's table, row and column, e.g. "variable 'api_key' (val)"."""
        if self._fernet is None:
            raise FernetKeyError(
                "the %s's %s is marked encrypted but %s is not set; give the %s environment's "
                "[core] fernet_key" % (self.side, what, _KEY_ORIGIN[self.side], self.side)
            )
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode("utf-8")).decode("utf-8")
        except InvalidToken:
            raise FernetKeyError(
                "the %s's %s cannot be decrypted with %s: that key is not the one the %s encrypted it with; "
                "give the %s environment's [core] fernet_key" % (self.side, what, _KEY_ORIGIN[self.side], self.side, self.side)
            ) from None

    def encrypt(self, value: str) -> str:
        assert self._fernet is not None
        return self._fernet.encrypt(value.encode("utf-8")).decode("utf-8")


def airflow_fernet_keys() -> Optional[str]:
    from airflow.configuration import conf

    return conf.get("core", "fernet_key", fallback=None) or None


def row_name(spec: TableSpec, row: Dict[str, Any]) -> str:
    """The row as a user names it: "variable 'api_key'", "connection 'warehouse'"."""
    return "%s %s" % (spec.name, "/".join(repr(row.get(k)) for k in spec.natural_key))


def reveal_row(spec: TableSpec, row: Dict[str, Any], cipher: Cipher) -> Dict[str, Any]:
    """The row with its secrets in clear text and their flags false."""
    out = dict(row)
    for secret in spec.secrets:
        value = out.get(secret.column)
        if value is not None and out.get(secret.flag):
            out[secret.column] = cipher.decrypt(value, "%s (%s)" % (row_name(spec, row), secret.column))
        if secret.flag in out:
            out[secret.flag] = False
    return out


def seal_row(spec: TableSpec, row: Dict[str, Any], cipher: Cipher, target_columns: Any) -> Dict[str, Any]:
    """The clear-text row encrypted for the target (flags set as Airflow would)."""
    out = dict(row)
    for secret in spec.secrets:
        value = out.get(secret.column)
        encrypted = value is not None and cipher.encrypts
        if encrypted:
            out[secret.column] = cipher.encrypt(value)
        if secret.flag in target_columns:
            out[secret.flag] = encrypted
    return out
