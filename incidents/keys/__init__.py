"""Keys: the data key that encrypts identities (``encryption``) and the key that signs dossier
bundles (``signing``). Floor 9: nothing of the application below them; the models use the first.
Rotating the data key re-encrypts the database, which is a command's work (``cli/key_rotation.py``).
"""
