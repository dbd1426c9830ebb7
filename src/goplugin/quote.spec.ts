import { quoteForError } from "./quote.js";

test("control bytes, separators and bidi controls are escaped; printable text is kept", () => {
  expect(quoteForError("a\rb\nc\td\u0000e\u001bf\u007fg\u0085h\u2028i\u2029j\u202ek")).toBe(
    "a\\rb\\nc\\td\\x00e\\x1bf\\x7fg\\x85h\\u2028i\\u2029j\\u202ek",
  );
  expect(quoteForError("plain ascii | and ünïcödé 🙂")).toBe("plain ascii | and ünïcödé 🙂");
});

test("long text is cut with an ellipsis and its length", () => {
  const s = quoteForError("x".repeat(1_048_576), 100);
  expect(s).toBe(`${"x".repeat(100)}… (1048576 characters)`);
});

test("lone surrogates are escaped, pairs kept", () => {
  expect(quoteForError("a\ud800b\udc00c\ud83d\ude42")).toBe("a\\ud800b\\udc00c\ud83d\ude42");
});

test("escapes count toward the cut: control-heavy text shows at most max characters before the ellipsis", () => {
  const s = quoteForError("e\u001b".repeat(32 * 1024), 500);
  const shown = s.slice(0, s.indexOf("…"));
  expect(shown.length).toBeLessThanOrEqual(500);
  expect(shown.length).toBeGreaterThan(490);
  expect(shown).toMatch(/^(e\\x1b)+e?$/);
  expect(s.endsWith("… (65536 characters)")).toBe(true);
});

test("a cut never splits a surrogate pair or an escape", () => {
  expect(quoteForError("ab\ud83d\ude42cd", 3)).toBe("ab… (6 characters)");
  expect(quoteForError("ab\u0000cd", 5)).toBe("ab… (5 characters)");
  expect(quoteForError("ab\u0000cd", 6)).toBe("ab\\x00… (5 characters)");
});
