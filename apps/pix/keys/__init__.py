"""Pix keys and claims: DICT keys (register, confirm, delete, look up) and portability and
ownership claims. The key syntax itself (KeyType, normalize_key, mask_key) is a codec:
apps.pix.codecs.keys."""
