// Small pieces of English that messages share, so that every stage words lists, articles and counts alike.

/** "a", "a and b", "a, b and c"; with `or`, "a, b or c". */
export function joinWords(words: readonly string[], conjunction: "and" | "or" = "and"): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} ${conjunction} ${words.at(-1)}`;
}

/** The word with its indefinite article: "an int", "a float". Enough for the words ptch's messages use. */
export function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? "an" : "a"} ${word}`;
}

/** How values bound to parameters read in messages and headings, strings quoted: `l = 3, name = "Lily"`. */
export function describeBindings(bindings: Iterable<readonly [string, number | string]>): string {
  return [...bindings].map(([name, value]) => `${name} = ${JSON.stringify(value)}`).join(", ");
}

/** The number of elements in a tensor of this shape: the product of its dimensions (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** What went wrong with a file, in words: the error code itself means little to most users. */
export function describeFileError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: "no such file or directory",
    EISDIR: "is a directory",
    ENOTDIR: "a part of the path is not a directory",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
  };
  return (code && reasons[code]) ?? (error instanceof Error ? message : String(error));
}

/**
 * `text` with its control characters (C0 but tab, DEL, C1) and line and paragraph separators written as escapes
 * (\x1b, \u2028): text from a file or the command line, printed into a terminal, can then neither move the cursor,
 * set a title, nor start a line that looks like ptch's own.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
  });
}

/** A string from a file (a name, a key, a piece), quoted and escaped for a message: "llama\x1b[2J". */
export const quotedFromFile = (text: string): string =>
  JSON.stringify(text).replace(/[\u007f-\u009f]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
