"""HCPCS Level II release files: the record layout, release identity, and reading.

``read.read_release`` is the entry point. Beside it: ``layout`` (fields as CMS numbers them),
``identity`` (which release a name says), ``container`` (ZIP safety, the data members),
``text`` and ``workbook`` (each format to raw rows), ``assemble`` (raw rows to records, one
set of rules for both), ``copies`` (where a ZIP's text and workbook disagree), ``legend``
(what each field and value means).
"""
