// Text read from files (tensor names, metadata, dataset keys, file names in a folder) made safe
// to print: a name holding an escape sequence must not recolour, move or rewrite the terminal.
#pragma once
#include <string>

namespace ulr {

// Returns `text` with everything a terminal could act on written as a visible escape:
//   C0 controls and DEL      \n, \r, \t, else \xNN      ("\x1b[31m" prints as \x1b[31m)
//   bytes of invalid UTF-8   \xNN each (overlong forms and surrogates are invalid)
//   C1 controls, U+0080..U+009F, and the bidirectional controls U+061C, U+200E, U+200F,
//   U+202A..U+202E, U+2066..U+2069 (which reorder what is shown)   \uNNNN
// Everything else, valid UTF-8 included, is kept as it is. A backslash is kept too, so
// printable(printable(s)) == printable(s): the result is for display, not an encoding to undo.
std::string printable(const std::string& text);

}  // namespace ulr
