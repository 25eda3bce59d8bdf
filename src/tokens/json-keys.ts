// JSON.parse keeps the last of two equal keys; RFC 7519 §4 says a JWT with duplicate claim names
// must be rejected. Only correctly signed tokens reach this check, so it costs nothing on forgeries.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const isOpen = (code: number) => code === 0x7b || code === 0x5b; // { [
const isClose = (code: number) => code === 0x7d || code === 0x5d; // } ]
const isSpace = (code: number) => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

/** True when the top-level object of `json` names a key twice (after unescaping). */
export function hasDuplicateTopLevelKeys(json: string): boolean {
  const seen: string[] = [];
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    if (code === QUOTE) {
      let end = i + 1;
      let escaped = false;
      while (end < json.length && json.charCodeAt(end) !== QUOTE) {
        if (json.charCodeAt(end) === BACKSLASH) {
          escaped = true;
          end++;
        }
        end++;
      }
      if (depth === 1) {
        let next = end + 1;
        while (isSpace(json.charCodeAt(next))) next++;
        if (json.charCodeAt(next) === COLON) {
          const key = escaped ? (JSON.parse(json.slice(i, end + 1)) as string) : json.slice(i + 1, end);
          if (seen.includes(key)) return true;
          seen.push(key);
        }
      }
      i = end;
    } else if (isOpen(code)) {
      depth++;
    } else if (isClose(code)) {
      depth--;
    }
  }
  return false;
}
