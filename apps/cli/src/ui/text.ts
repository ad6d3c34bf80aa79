/** Text measuring and shaping for terminals: display width, wrapping, and neutralising control characters. */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;

function isWide(codePoint: number): boolean {
  return (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf && codePoint !== 0x303f) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1faff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  );
}

/** Columns one grapheme cluster takes in a terminal (an approximation of wcwidth). */
export function graphemeWidth(grapheme: string): number {
  const first = grapheme.codePointAt(0);
  if (first === undefined) return 0;
  if (first < 0x20 || (first >= 0x7f && first < 0xa0)) return 0;
  if (grapheme.length === 1 && ZERO_WIDTH.test(grapheme)) return 0;
  if (isWide(first)) return 2;
  // Emoji presentation (a pictograph followed by VS16, or a ZWJ sequence).
  if (PICTOGRAPHIC.test(grapheme) && (grapheme.includes('\ufe0f') || grapheme.includes('\u200d'))) return 2;
  return 1;
}

export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (part) => part.segment);
}

/** Display width of plain text (no escape sequences). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const grapheme of graphemes(text)) width += graphemeWidth(grapheme);
  return width;
}

/** Cuts text to at most `width` columns, ending with … when something was cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let used = 0;
  for (const grapheme of graphemes(text)) {
    const next = graphemeWidth(grapheme);
    if (used + next > width - 1) break;
    out += grapheme;
    used += next;
  }
  return `${out}…`;
}

/**
 * Wraps text into lines of at most `width` columns (or `first` columns for the
 * first line and `rest` for the others), breaking at spaces where possible and
 * inside words longer than a line. Keeps the text's own line breaks.
 */
export function wrapText(text: string, width: number | { first: number; rest: number }): string[] {
  const first = Math.max(1, typeof width === 'number' ? width : width.first);
  const rest = Math.max(1, typeof width === 'number' ? width : width.rest);
  const lines: string[] = [];
  const limit = () => (lines.length === 0 ? first : rest);
  for (const paragraph of text.split('\n')) {
    let line = '';
    let lineWidth = 0;
    const breakLine = () => {
      lines.push(line.trimEnd());
      line = '';
      lineWidth = 0;
    };
    for (const word of paragraph.split(/(?<= )/)) {
      const wordWidth = displayWidth(word.trimEnd());
      if (lineWidth + wordWidth <= limit()) {
        line += word;
        lineWidth += displayWidth(word);
        continue;
      }
      if (line.trimEnd() !== '') breakLine();
      for (const grapheme of graphemes(word)) {
        const next = graphemeWidth(grapheme);
        if (lineWidth + next > limit() && grapheme !== ' ') breakLine();
        line += grapheme;
        lineWidth += next;
      }
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to neutralise
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes text from other people safe to print: terminal control characters and
 * escape sequences (which could move the cursor, retitle the window or fake
 * output) and bidirectional overrides become visible placeholders. Tabs become
 * spaces; line breaks are kept.
 */
export function sanitize(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '  ')
    .replace(CONTROL, (char) => (char === '\u001b' ? '␛' : '\ufffd'));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Removes the colour escape sequences this program writes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
