/** The UTF-16 codes of JSON's structural characters, for scanners that read a text by `charCodeAt`. */
export const [OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, QUOTE, BACKSLASH, COLON, COMMA] = [...'{}[]"\\:,'].map((c) =>
  c.charCodeAt(0),
);

/** JSON's white space: space, line feed, carriage return, tab. */
export const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
