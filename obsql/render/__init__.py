"""render: results as people read them.

`text` draws tables with aligned columns, traces as indented trees and inspect results as cards (the command line
and the REPL); `formats` writes csv, json (an array of row objects) and markdown. Each renderer reads a `Result`;
none of them queries anything.
"""
