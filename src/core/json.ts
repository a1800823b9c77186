/**
 * JSON without silent loss of integers. JavaScript numbers hold integers exactly only up to
 * 2^53 − 1; Databricks int64 fields (e.g. `spark_context_id`) go beyond. An integer beyond that
 * range is read as its exact decimal string, and a `bigint` in a request is written as a bare
 * JSON number. Bodies without a 16-digit run, nearly all of them, take the plain `JSON.parse` path.
 */

// A string token (skipped whole, so digits inside strings are never touched), or an integer
// token of 16 or more digits that is not part of a fraction or an exponent.
const TOKENS = /"(?:[^"\\]|\\.)*"|(?<![\w.+-])-?\d{16,}(?![\w.])/g;

export function parseJson(text: string): unknown {
  // Parsed as is first: text that is not JSON throws here, before the rewrite (which is linear
  // only on valid JSON) could scan it.
  const parsed = JSON.parse(text);
  if (!hasLongDigitRun(text)) return parsed;
  return JSON.parse(
    text.replace(TOKENS, (token) =>
      token.startsWith('"') || Number.isSafeInteger(Number(token)) ? token : `"${token}"`,
    ),
  );
}

/**
 * Whether 16 digits follow each other anywhere. Such a run covers one index of every residue
 * modulo 16, so only every 16th character is looked at, and the run measured around it.
 */
function hasLongDigitRun(text: string): boolean {
  for (let i = 15; i < text.length; i += 16) {
    if (!isDigit(text.charCodeAt(i))) continue;
    let start = i;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    let end = i + 1;
    while (end < text.length && end - start < 16 && isDigit(text.charCodeAt(end))) end++;
    if (end - start >= 16) return true;
  }
  return false;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

// Wraps a bigint while JSON.stringify runs; no JSON text holds this character pair by chance.
const MARK = "\u2063\u2063";
const MARKED = new RegExp(`"${MARK}(-?\\d+)${MARK}"`, "g");

export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    // Only a body holding a bigint takes this path.
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
    return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? `${MARK}${v}${MARK}` : v)).replace(
      MARKED,
      "$1",
    );
  }
}
