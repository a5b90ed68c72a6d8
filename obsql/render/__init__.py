"""render: results as people read them.

`text` draws tables with aligned columns, traces as indented trees and inspect results as cards (the command line
and the REPL); `formats` writes csv, json (an array of row objects) and markdown; `html` draws results for
notebooks (styled tables, collapsible trace trees, cards) and `svg` draws history charts without a browser. Each renderer reads a `Result`;
none of them queries anything.
"""
