"""Fernet decryption on export and re-encryption on import.

Source and target environments have different Fernet keys, so secrets leave the
source in clear text (inside SSE-KMS objects only) and are encrypted again with
the target's key. Keys come from the caller or from the running Airflow's
[core] fernet_key, which may hold several comma-separated keys (rotation).
"""

from typing import Any, Dict, Optional

from .spec import TableSpec


class Cipher:
    """Encrypts with the first key, decrypts with any; no key means clear text."""

    def __init__(self, keys_csv: Optional[str]) -> None:
        keys = [k.strip() for k in (keys_csv or "").split(",") if k.strip()]
        self._fernet = None
        if keys:
            from cryptography.fernet import Fernet, MultiFernet

            try:
                self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in keys])
            except ValueError as error:
                raise ValueError(
                    "a Fernet key is not valid (%s): it must be 32 url-safe base64-encoded "
                    "bytes, as [core] fernet_key holds" % error
                ) from None

    @property
    def encrypts(self) -> bool:
        return self._fernet is not None

    def decrypt(self, token: str) -> str:
        if self._fernet is None:
            raise ValueError(
                "a value is marked encrypted but no Fernet key is configured; set "
                "[core] fernet_key (or pass --fernet-key) to the source environment's key"
            )
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode("utf-8")).decode("utf-8")
        except InvalidToken:
            raise ValueError(
                "a value cannot be decrypted with the configured Fernet key(s); "
                "use the key the source environment encrypted it with"
            ) from None

    def encrypt(self, value: str) -> str:
        assert self._fernet is not None
        return self._fernet.encrypt(value.encode("utf-8")).decode("utf-8")


def airflow_fernet_keys() -> Optional[str]:
    from airflow.configuration import conf

    return conf.get("core", "fernet_key", fallback=None) or None


def reveal_row(spec: TableSpec, row: Dict[str, Any], cipher: Cipher) -> Dict[str, Any]:
    """The row with its secrets in clear text and their flags false."""
    out = dict(row)
    for secret in spec.secrets:
        value = out.get(secret.column)
        if value is not None and out.get(secret.flag):
            out[secret.column] = cipher.decrypt(value)
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
