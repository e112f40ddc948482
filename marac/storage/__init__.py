"""Where documents live: issued PDFs, packs and attachments, behind one small interface."""
