/** A piece of message text: plain, or a web link to render as an anchor. */
export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

// http(s) URLs and bare www. hosts; trailing punctuation that usually ends a sentence is left out.
const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;
const SENTENCE_END = /[.,;:!?\]}'"»”’]/;

/** Drops trailing punctuation, and closing parentheses that have no opening one inside the URL. */
function trimEnd(raw: string): string {
  let end = raw.length;
  while (end > 0) {
    const ch = raw[end - 1]!;
    if (ch === ')') {
      const inside = raw.slice(0, end);
      if (inside.split('(').length >= inside.split(')').length) break;
    } else if (!SENTENCE_END.test(ch)) {
      break;
    }
    end--;
  }
  return raw.slice(0, end);
}

/**
 * Splits text into plain parts and links. Only http and https links come out
 * (a `www.` host gets https), so no `javascript:` or `data:` URL can become clickable.
 */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const raw = trimEnd(match[0]);
    const start = match.index;
    const href = raw.toLowerCase().startsWith('www.') ? `https://${raw}` : raw;
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      // Not a URL after all ("http://" alone): leave it as text.
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: raw, href: url.href });
    last = start + raw.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}
