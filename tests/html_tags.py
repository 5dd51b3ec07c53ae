"""A page's tags and texts, as an HTML parser reads them: for the tests of the pages the
commands write (what is markup, and what is text, after escaping)."""

from html.parser import HTMLParser


class Tags(HTMLParser):
    """Every start tag (``tags``) and every piece of text (``text``) of the page ``text``."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)
