"""What a file may expand to while it is read: a small file must not be able to exhaust memory or time.

The size limit on disk (KB_MAX_FILE_MB) says nothing about a .docx whose document.xml inflates 300-fold, or
a PDF of 50,000 blank pages; these limits are checked before (zip members) or while (pages, characters)
the content is read. Legitimate policy documents stay far below them: the whole 民法典 is ~110,000
characters, and the largest file of the national library below 1,000,000.
"""
from __future__ import annotations

MB = 1024 * 1024
DOCX_MAX_MEMBER = 100 * MB  # uncompressed size of any one part (document.xml of a 1,000-page file: ~30 MB)
DOCX_MAX_TOTAL = 200 * MB  # all parts together (python-docx loads every part)
DOCX_MAX_RATIO = 100  # uncompressed / compressed, for parts above RATIO_FLOOR (Word's XML: 5–20)
RATIO_FLOOR = 1 * MB  # tiny parts may compress extremely well without harm
PDF_MAX_PAGES = 2000
MAX_CHARS = 5_000_000  # extracted text of any format
