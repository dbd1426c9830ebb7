/**
 * Text from a plugin (its handshake line, its stderr) shown inside an error
 * message: control bytes, line and paragraph separators and other invisible
 * code points escaped so one message stays one readable record, and cut to
 * `max` characters with an ellipsis so a hostile plugin cannot make errors huge.
 */
export function quoteForError(text: string, max = 200): string {
  const cut = text.length > max;
  const shown = (cut ? text.slice(0, max) : text).replace(INVISIBLE, escape);
  return cut ? `${shown}… (${text.length} characters)` : shown;
}

// C0, DEL, C1, the Unicode line/paragraph separators, bidi controls, lone surrogates.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escape(c: string): string {
  switch (c) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
  }
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}
