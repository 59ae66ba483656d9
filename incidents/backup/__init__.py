"""Backups: one encrypted file holding a consistent copy of the database and the evidence store
(``archive``), written and read as a stream sealed in authenticated chunks (``sealed``). Floor 2.5.
"""
