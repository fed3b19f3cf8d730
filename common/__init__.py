"""What every stage shares: the text kernel (``common.text``) and the languages (``common.lang``)."""
