/**
 * Text from a plugin (its handshake line, its stderr) shown inside an error
 * message: control bytes, line and paragraph separators and other invisible
 * code points escaped so one message stays one readable record, and cut to
 * `max` characters (escapes included) with an ellipsis so a hostile plugin cannot make errors huge.
 */
export function quoteForError(text: string, max = 200): string {
  // `max` bounds what is shown after escaping (an escape is up to 6 characters for 1).
  const re = new RegExp(INVISIBLE.source, "g");
  let out = "";
  let pos = 0;
  while (pos < text.length && out.length < max) {
    re.lastIndex = pos;
    const m = re.exec(text);
    const end = m ? m.index : text.length;
    if (end > pos) {
      let n = Math.min(end - pos, max - out.length);
      // Never split a surrogate pair (the shown part would end in a lone one).
      if (n < end - pos && /[\ud800-\udbff]/.test(text[pos + n - 1]!) && --n === 0) break;
      out += text.slice(pos, pos + n);
      pos += n;
      continue;
    }
    const e = escape(m![0]);
    if (out.length + e.length > max) break;
    out += e;
    pos += m![0].length;
  }
  return pos < text.length ? `${out}… (${text.length} characters)` : out;
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
