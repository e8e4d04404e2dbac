# SPDX-License-Identifier: Apache-2.0
#
# simplehtml.py: reads a PyPI simple-API HTML page (PEP 503) the way a client does, with
# Python's own html.parser, for the /simple/ tests (t11xx): its anchors, each as
# [attributes (a dict, entities decoded), text], in order, and its <meta name=...> values.
#
# Used by the tests through   sys.path.insert(0, os.environ["E2E_DIR"]); import simplehtml

import html.parser


class Page(html.parser.HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.anchors, self.meta, self._cur = [], {}, None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._cur = [dict(attrs), ""]
        elif tag == "meta":
            d = dict(attrs)
            self.meta[d.get("name")] = d.get("content")

    def handle_data(self, data):
        if self._cur is not None:
            self._cur[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._cur is not None:
            self.anchors.append(self._cur)
            self._cur = None
